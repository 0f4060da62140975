-- 013: the private line. A coach's notes to a client and the client's replies, one thread per
-- client. Each message is delivered by a job of the notes engine, inserted with the note in one
-- transaction (the engine's actions are never planned), so it goes out paced, retried and
-- exactly once like every other send.
CREATE TABLE notes (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES client_profiles (user_id) ON DELETE CASCADE,  -- whose thread
    direction     text NOT NULL CHECK (direction IN ('to_client', 'to_coach')),
    -- to_client: who wrote it; to_coach: who it is for (NULL: the coaches' channel, no one named).
    coach_id      bigint,
    coach_name    text,                 -- as the note was headed or addressed, kept if they leave
    body          text NOT NULL,
    local_date    date NOT NULL,        -- the client's local date when it was written
    -- to_client: its number among the client's notes of that date (the Reply button carries it).
    seq           smallint,
    reply_to      bigint REFERENCES notes (id) ON DELETE SET NULL,
    -- The jobs that deliver it and, when it could not be, tell its author. Retention deletes
    -- finished jobs after JOB_RETENTION_DAYS: the note stays, with what became of it.
    job_id        bigint REFERENCES jobs (id) ON DELETE SET NULL,
    notice_job_id bigint REFERENCES jobs (id) ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'undeliverable')),
    messages      jsonb NOT NULL DEFAULT '[]',  -- where it went: [{channel_id, message_id}]
    delivered_at  timestamptz,
    -- Who told the author it was not delivered: /note, waiting for the outcome, or the notice job.
    author_told   text CHECK (author_told IN ('command', 'notice')),
    created_at    timestamptz NOT NULL
);
CREATE INDEX notes_thread ON notes (user_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX notes_reply_button ON notes (user_id, local_date, seq) WHERE direction = 'to_client';
-- Found by the job that delivers it; and retention's ON DELETE SET NULL needs both indexed.
CREATE UNIQUE INDEX notes_by_job ON notes (job_id) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX notes_by_notice_job ON notes (notice_job_id) WHERE notice_job_id IS NOT NULL;
