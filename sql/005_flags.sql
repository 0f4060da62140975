-- 005: the weekly flag scan. The coach's expected bodyweight change per week (kg; negative for a
-- cut) feeds the bodyweight rule; cards can be snoozed by whom; indexes for the per-day outcome
-- queries the scan and the coach's views run.

ALTER TABLE client_profiles
    ADD COLUMN weekly_change_min_kg numeric(4, 2),
    ADD COLUMN weekly_change_max_kg numeric(4, 2);

CREATE INDEX daily_drops_day ON daily_drops (local_date, engine) WHERE delivered_at IS NOT NULL;
CREATE INDEX training_sessions_day ON training_sessions (local_date) WHERE delivered_at IS NOT NULL;
CREATE INDEX checkins_day ON checkins (user_id, date);
CREATE INDEX meal_logs_day ON meal_logs (user_id, date);
