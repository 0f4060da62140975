-- 006: lookups by drop (every button press and every close reads a drop's logs; the weekly scan
-- counts them for every drop) need an index; 005's two indexes repeated UNIQUE constraints. A
-- card remembers when the coaches were told, so a retried escalation still tells them once.

CREATE INDEX meal_logs_drop ON meal_logs (drop_id);
CREATE INDEX cardio_logs_drop ON cardio_logs (drop_id);
CREATE INDEX training_logs_session ON training_logs (session_id);
DROP INDEX checkins_day;
DROP INDEX meal_logs_day;

ALTER TABLE job_cards ADD COLUMN announced_at timestamptz;
