-- 016: a training session snapshots what its workout message shows besides the exercises: the
-- last top set of each exercise before the session's day, and the block's name. The drop then
-- renders without reading the logs again, and a retry or a later refresh shows the same figures.
-- NULL in sessions created before this migration: those are read from the logs as before.
ALTER TABLE training_sessions
    ADD COLUMN last_sets  jsonb,
    ADD COLUMN block_name text;
