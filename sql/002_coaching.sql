-- 002: what coaches steer with. Training blocks are versioned (a re-import adds a version, and a
-- session keeps the version it was given); a reassignment takes effect on a chosen local date, so
-- the client row carries the block that comes next and from when.

CREATE TABLE training_blocks (
    block_id    text NOT NULL,
    version     integer NOT NULL,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    imported_at timestamptz NOT NULL,
    imported_by bigint,
    PRIMARY KEY (block_id, version)
);

ALTER TABLE client_profiles
    ADD COLUMN next_block_id    text,
    ADD COLUMN next_block_from  date,               -- local date the next block starts
    ADD COLUMN next_day_index   integer NOT NULL DEFAULT 0 CHECK (next_day_index >= 0);

CREATE INDEX client_profiles_name ON client_profiles (lower(display_name));
