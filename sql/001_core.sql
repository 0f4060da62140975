-- 001: the core. Clients, the jobs table that every engine plans into and the dispatcher
-- claims from, the alert buffer, job cards for coaches, and the planners' watermarks.
-- Every timestamp is timestamptz; local dates are `date` computed from the client's zone.

CREATE TABLE client_profiles (
    user_id                 bigint PRIMARY KEY,           -- Discord user id
    display_name            text NOT NULL DEFAULT '',
    timezone                text NOT NULL,                -- IANA name or fixed offset, as validated
    previous_timezone       text,                         -- zone in force before a change …
    timezone_effective_from date,                         -- … until this local date (exclusive)
    start_date              date NOT NULL,
    paused                  boolean NOT NULL DEFAULT false,
    paused_until            date,                         -- resumes by itself on this local date
    pause_reason            text,
    block_id                text,                         -- training block (seed: training_template_id)
    schedule_days           smallint[] NOT NULL DEFAULT '{1,3,5}',  -- ISO weekdays, Monday = 1
    day_index               integer NOT NULL DEFAULT 0 CHECK (day_index >= 0),
    unit                    text NOT NULL DEFAULT 'kg' CHECK (unit IN ('kg', 'lb')),
    dm_channel_id           bigint,                       -- opened at onboarding, not in the 06:00 burst
    reachable               boolean NOT NULL DEFAULT true,
    unreachable_since       timestamptz,
    honors_opt_out          boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- One row per (engine, action, client, local date, run). `seq` is 0 for the scheduled run and
-- counts up for forced manual re-runs, so the unique key still makes every run exactly one row.
CREATE TABLE jobs (
    id              bigserial PRIMARY KEY,
    engine          text NOT NULL,
    action          text NOT NULL,
    user_id         bigint,                               -- NULL for global jobs (the weekly scan)
    local_date      date NOT NULL,
    seq             smallint NOT NULL DEFAULT 0,
    due_at          timestamptz NOT NULL,
    deadline        timestamptz,                          -- NULL: always worth running (missed-marking)
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'sent', 'skipped', 'expired', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    claimed_by      text,
    last_error      text,
    manual          boolean NOT NULL DEFAULT false,
    requested_by    bigint,
    result          jsonb,
    created_at      timestamptz NOT NULL,
    started_at      timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL
);

CREATE UNIQUE INDEX jobs_unique_key ON jobs (engine, action, COALESCE(user_id, 0), local_date, seq);
CREATE INDEX jobs_pending_due ON jobs (next_attempt_at) WHERE status = 'pending';
CREATE INDEX jobs_running_lease ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_by_client ON jobs (user_id, local_date);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- The alert buffer: failures coaches must hear about, posted in batches to the alert channel.
CREATE TABLE alerts (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL,
    job_id     bigint REFERENCES jobs (id),
    user_id    bigint,
    message    text NOT NULL,
    created_at timestamptz NOT NULL,
    posted_at  timestamptz
);
CREATE UNIQUE INDEX alerts_one_per_job ON alerts (job_id, kind) WHERE job_id IS NOT NULL;
CREATE INDEX alerts_unposted ON alerts (created_at) WHERE posted_at IS NULL;

-- Job cards: work items for coaches. `dedupe_key` makes raising a card idempotent.
CREATE TABLE job_cards (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    user_id       bigint,
    dedupe_key    text NOT NULL UNIQUE,
    urgency       smallint NOT NULL DEFAULT 2,           -- 1 = most urgent
    summary       text NOT NULL,
    details       jsonb NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'snoozed')),
    opened_at     timestamptz NOT NULL,
    resolved_by   bigint,
    resolved_at   timestamptz,
    snoozed_by    bigint,
    snoozed_until date,
    note          text
);
CREATE INDEX job_cards_open ON job_cards (status, urgency, opened_at);
CREATE INDEX job_cards_client ON job_cards (user_id);

-- How far each planner has planned: a tick plans [planned_until, now + horizon) and moves it.
CREATE TABLE planner_watermarks (
    planner       text PRIMARY KEY,
    planned_until timestamptz NOT NULL
);
