-- 014: the weekly check-in. A client's own weekday for it (NULL: REVIEW_WEEKDAY), the
-- measurements their coach asks for besides the waist, and one row per week's check-in: the
-- answers (lengths in cm, as typed and in the client's unit), how the week went and what they
-- said, or missed when the deadline passed without them.
ALTER TABLE client_profiles
    ADD COLUMN review_weekday smallint CHECK (review_weekday BETWEEN 1 AND 7);

CREATE TABLE weekly_reviews (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL,
    date        date NOT NULL,
    waist_cm    numeric(5, 1) CHECK (waist_cm IS NULL OR waist_cm BETWEEN 40 AND 250),
    waist_typed text,
    unit        text,
    rating      smallint CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    story       text,
    status      text NOT NULL CHECK (status IN ('submitted', 'missed')),
    timestamp   timestamptz NOT NULL,
    drop_id     bigint NOT NULL REFERENCES daily_drops (id),
    UNIQUE (user_id, date)
);
