-- 018: the jobs' unique key leads with the client, and the separate (user_id, local_date) index
-- goes. Every job row is written three times (planned, claimed, finished) and each version enters
-- the primary key, the unique key, the client index and the partial index of its state: one index
-- fewer is a quarter less index work per job, and a key that leads with the client serves every
-- per-client query the old index did (bench/RESULTS.md §22, §26). Jobs of no client (the weekly
-- scan, replies to coaches) keep their uniqueness in a partial index: a unique index treats NULLs
-- as distinct (NULLS NOT DISTINCT would need PostgreSQL 15 or later).
-- Building the key took 8.6 s for the 7.2 million jobs of 10,000 clients kept 90 days (a generated
-- table): other processes' writes to jobs wait for it, and the DROPs block their reads until the
-- migration commits (bot/db/migrations.py MIGRATION_TIMEOUT; README "Database").
CREATE UNIQUE INDEX jobs_client_key ON jobs (user_id, engine, action, local_date, seq);
CREATE UNIQUE INDEX jobs_global_key ON jobs (engine, action, local_date, seq) WHERE user_id IS NULL;
DROP INDEX jobs_unique_key;
DROP INDEX jobs_by_client;
