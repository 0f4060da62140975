-- 008: retention. Finished jobs and posted alerts older than JOB_RETENTION_DAYS are deleted in
-- small batches, oldest first. The jobs side needs no new index: jobs_finished (001, finished_at
-- WHERE finished_at IS NOT NULL) already serves `finished_at < cutoff ORDER BY finished_at`, and
-- building another one would lock the largest table for writes during the migration. Alerts had
-- an index for unposted rows only; this one serves the posted side. (Alerts keep their text when
-- the job they name is deleted: job_id is set to NULL then, so the foreign key never blocks.)

CREATE INDEX alerts_posted ON alerts (posted_at) WHERE posted_at IS NOT NULL;
