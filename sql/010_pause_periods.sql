-- 010: pause history. The profile's paused / paused_until / pause_reason say whether a client is
-- paused now (the planner and the dispatcher read them); pause_periods remembers every pause, so
-- compliance and the flag rules can leave paused days out after the pause has ended.
--
-- A period covers the client's local days [paused_from, paused_until): paused_until is the first
-- day active again (the date /pause until: was given, or the day of /resume), NULL while the pause
-- is open. A pause resumed on the day it began covers no day (paused_until = paused_from).

CREATE TABLE pause_periods (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL,
    paused_from  date NOT NULL,          -- the client's local date the pause began
    paused_until date,                   -- first local date active again; NULL: open
    reason       text,
    paused_by    bigint,                 -- the coach who paused (NULL: from before this table)
    resumed_by   bigint,                 -- the coach who resumed by hand (NULL: ended by itself)
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK (paused_until IS NULL OR paused_until >= paused_from)
);
CREATE INDEX pause_periods_client ON pause_periods (user_id, paused_from);

-- The clients paused now. When the pause began was not recorded: the day after the last drop or
-- workout they were sent is the best evidence (a paused client is sent nothing), else their start
-- date; never after the day the pause ends.
INSERT INTO pause_periods (user_id, paused_from, paused_until, reason, created_at, updated_at)
SELECT c.user_id,
       LEAST(
           COALESCE(GREATEST(
               (SELECT max(d.local_date) FROM daily_drops d
                 WHERE d.user_id = c.user_id AND d.delivered_at IS NOT NULL),
               (SELECT max(s.local_date) FROM training_sessions s
                 WHERE s.user_id = c.user_id AND s.delivered_at IS NOT NULL)
           ) + 1, c.start_date),
           COALESCE(c.paused_until, 'infinity'::date)
       ),
       c.paused_until, c.pause_reason, now(), now()
  FROM client_profiles c
 WHERE c.paused;
