-- 019: planning in batches. A zone whose clients would take one planning pass past
-- PLANNING_INLINE_JOBS jobs is planned as one row per (engine, action, zone, local date, time)
-- instead of a job per client: 100,000 clients in one zone at one time were 300,000 job rows in
-- one pass, 3 s however the keys were laid out (bench/RESULTS.md §22, §26). The dispatcher's claim
-- turns a due batch into jobs, already claimed, a claim's worth at a time in user_id order
-- (`after_user`: the last client it took); the row goes when no client is left.
CREATE TABLE job_batches (
    id          bigserial PRIMARY KEY,
    engine      text NOT NULL,
    action      text NOT NULL,
    tz          text NOT NULL,
    local_date  date NOT NULL,
    due_at      timestamptz NOT NULL,
    deadline    timestamptz,
    at          time,                      -- an action at clients' own times: the setting's time
    after_user  bigint,                    -- NULL: no client taken yet
    created_at  timestamptz NOT NULL
);
-- '24:00' is a time no row holds: a NULL `at` stays one key (see 018 on NULLS NOT DISTINCT).
CREATE UNIQUE INDEX job_batches_key ON job_batches (engine, action, tz, local_date, COALESCE(at, '24:00'));
CREATE INDEX job_batches_due ON job_batches (due_at);
-- The claim reads a zone's clients in user_id order from where it left off; the loose index scan
-- of the zones (017) works as well on this index's first column.
CREATE INDEX client_profiles_zone_user ON client_profiles (timezone, user_id);
DROP INDEX client_profiles_timezone;
-- And the clients whose previous zone still governs the batch's date, found by the date:
-- previous_timezone stays set after a change took effect, so by the zone alone every claim would
-- read everyone who ever left it.
CREATE INDEX client_profiles_moving ON client_profiles (previous_timezone, timezone_effective_from)
    WHERE previous_timezone IS NOT NULL;
DROP INDEX client_profiles_previous_timezone;
