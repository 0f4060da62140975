-- 015: the rest of the weekly check-in. A client's own check-in time (NULL: REVIEW_AT) and the
-- measurements their coach asks for besides the waist; those answers per check-in; the progress
-- photos, kept in the database (resized JPEG, no metadata) so they survive a restart and a
-- machine replacement and go with the client's other rows when the client is deleted; and the
-- coach's review of each check-in.
ALTER TABLE client_profiles
    ADD COLUMN review_at time,
    ADD COLUMN review_measurements text[] NOT NULL DEFAULT '{}';

-- {"hips": {"cm": 98.5, "typed": "98.5"}, …}: lengths in cm, and as the client typed them (in
-- the review's unit).
ALTER TABLE weekly_reviews
    ADD COLUMN measurements jsonb NOT NULL DEFAULT '{}';

CREATE TABLE weekly_photos (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL,
    date        date NOT NULL,               -- the check-in's local date
    pose        text NOT NULL CHECK (pose IN ('front', 'side', 'back')),
    jpeg        bytea NOT NULL,
    width       integer NOT NULL,
    height      integer NOT NULL,
    uploaded_at timestamptz NOT NULL,
    drop_id     bigint NOT NULL REFERENCES daily_drops (id),
    UNIQUE (user_id, date, pose)
);

-- The coach's answer to one check-in: the card it resolved and the note that carried it.
CREATE TABLE weekly_answers (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL,
    date        date NOT NULL,
    coach_id    bigint NOT NULL,
    note_id     bigint REFERENCES notes (id) ON DELETE SET NULL,
    card_id     bigint,
    answered_at timestamptz NOT NULL,
    UNIQUE (user_id, date)
);
