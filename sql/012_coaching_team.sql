-- 012: a coaching team. Coaches are people with a row each (a head coach sees and steers every
-- client; a coach, with COACH_SCOPE=own, only their own). Every client has a coach from a date:
-- a handover is a new row, so the history before it stays with the old coach.
CREATE TABLE coaches (
    user_id      bigint PRIMARY KEY,
    display_name text NOT NULL,
    kind         text NOT NULL DEFAULT 'coach' CHECK (kind IN ('head', 'coach')),
    notify       text NOT NULL DEFAULT 'channel' CHECK (notify IN ('channel', 'dm', 'both')),
    added_by     bigint,
    added_at     timestamptz NOT NULL,
    removed_at   timestamptz            -- removed coaches keep their row: history names them
);

CREATE TABLE coach_assignments (
    user_id     bigint NOT NULL REFERENCES client_profiles (user_id) ON DELETE CASCADE,
    from_date   date NOT NULL,          -- the client's local date the coach takes over
    coach_id    bigint REFERENCES coaches (user_id),  -- NULL: no coach (theirs was removed)
    note        text,                   -- the handover note the new coach is shown
    assigned_by bigint,
    assigned_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, from_date)
);
CREATE INDEX coach_assignments_by_coach ON coach_assignments (coach_id);

-- An alert about a client names their coach, who is mentioned when the batch is posted.
ALTER TABLE alerts ADD COLUMN coach_id bigint;
