-- 004: the check-in, meals and cardio engines (seed 000's task table beside training).
-- Plans are versioned like training blocks. A daily drop is what one engine sent a client on a
-- local date: a snapshot of the plan for that day (so a re-import never changes what was sent),
-- its messages, its deadline. Logs have one row per item per day: logged, or missed at the deadline.

CREATE TABLE meal_plans (
    plan_id     text NOT NULL,
    version     integer NOT NULL,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    imported_at timestamptz NOT NULL,
    imported_by bigint,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE cardio_plans (
    plan_id     text NOT NULL,
    version     integer NOT NULL,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    imported_at timestamptz NOT NULL,
    imported_by bigint,
    PRIMARY KEY (plan_id, version)
);

ALTER TABLE client_profiles
    ADD COLUMN meal_plan_id   text,
    ADD COLUMN cardio_plan_id text;

CREATE TABLE daily_drops (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL,
    local_date   date NOT NULL,
    engine       text NOT NULL,
    content      jsonb NOT NULL,
    messages     jsonb NOT NULL DEFAULT '[]',
    deadline     timestamptz NOT NULL,
    delivered_at timestamptz,
    closed_at    timestamptz,
    created_at   timestamptz NOT NULL,
    UNIQUE (user_id, local_date, engine)
);

-- One check-in per client and local date. It is filled in two steps (how you feel; weigh-in and
-- sleep): 'partial' until both are in, 'logged' then, 'missed' if not complete by the deadline.
CREATE TABLE checkins (
    id             bigserial PRIMARY KEY,
    user_id        bigint NOT NULL,
    date           date NOT NULL,
    timestamp      timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('partial', 'logged', 'missed')),
    bodyweight_kg  numeric(6, 2),
    weight_entered numeric(7, 2),
    unit_entered   text CHECK (unit_entered IN ('kg', 'lb')),
    sleep_hours    numeric(4, 2),
    energy         smallint CHECK (energy BETWEEN 1 AND 5),
    mood           smallint CHECK (mood BETWEEN 1 AND 5),
    stress         smallint CHECK (stress BETWEEN 1 AND 5),
    soreness       smallint CHECK (soreness BETWEEN 1 AND 5),
    readiness      numeric(3, 2),                 -- mean of the 1–5 items, stress and soreness inverted
    note           text,
    UNIQUE (user_id, date)
);

CREATE TABLE meal_logs (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL,
    date       date NOT NULL,
    meal_index smallint NOT NULL,
    meal_name  text NOT NULL,
    status     text NOT NULL CHECK (status IN ('followed', 'off_plan', 'missed')),
    note       text,
    timestamp  timestamptz NOT NULL,
    drop_id    bigint NOT NULL REFERENCES daily_drops (id),
    UNIQUE (user_id, date, meal_index)
);

CREATE TABLE cardio_logs (
    id        bigserial PRIMARY KEY,
    user_id   bigint NOT NULL,
    date      date NOT NULL,
    kind      text NOT NULL,
    minutes   integer CHECK (minutes IS NULL OR minutes BETWEEN 1 AND 600),
    steps     integer CHECK (steps IS NULL OR steps BETWEEN 1 AND 100000),
    avg_hr    smallint CHECK (avg_hr IS NULL OR avg_hr BETWEEN 30 AND 230),
    status    text NOT NULL CHECK (status IN ('logged', 'missed')),
    timestamp timestamptz NOT NULL,
    drop_id   bigint NOT NULL REFERENCES daily_drops (id),
    UNIQUE (user_id, date)
);
