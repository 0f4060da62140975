-- 003: the training dispatcher (seed 001). A session is the workout a client was given on a
-- local date: a snapshot of the block version and day, so a later re-import never changes what
-- was delivered. training_logs has the seed's columns, one row per exercise per session
-- (logged, or missed at the deadline), plus what is needed to never reinterpret history.

CREATE TABLE training_sessions (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL,
    local_date    date NOT NULL,
    block_id      text NOT NULL,
    block_version integer NOT NULL,
    day_index     integer NOT NULL,
    day_title     text NOT NULL,
    exercises     jsonb NOT NULL,                 -- the day's exercises as delivered
    messages      jsonb NOT NULL DEFAULT '[]',    -- [{channel_id, message_id, first, last}] per part
    delivered_at  timestamptz,                    -- NULL until the DM went out (day_index advances then)
    deadline      timestamptz NOT NULL,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL,
    UNIQUE (user_id, local_date)
);

CREATE TABLE training_logs (
    id             bigserial PRIMARY KEY,
    user_id        bigint NOT NULL,
    timestamp      timestamptz NOT NULL,          -- when it was logged (or marked missed)
    date           date NOT NULL,                 -- the session's local date
    exercise_id    text NOT NULL,
    exercise_name  text NOT NULL,
    weight_kg      numeric(7, 3),                 -- blank when missed
    reps           integer CHECK (reps IS NULL OR reps >= 1),
    block_id       text NOT NULL,
    day_index      integer NOT NULL,
    status         text NOT NULL CHECK (status IN ('logged', 'missed')),
    session_id     bigint NOT NULL REFERENCES training_sessions (id),
    weight_entered numeric(8, 3),                 -- as typed, in unit_entered
    unit_entered   text CHECK (unit_entered IN ('kg', 'lb')),
    is_pr          boolean NOT NULL DEFAULT false,
    CHECK ((status = 'logged') = (weight_kg IS NOT NULL AND reps IS NOT NULL)),
    UNIQUE (session_id, exercise_id)
);
CREATE INDEX training_logs_history ON training_logs (user_id, exercise_id, date);
