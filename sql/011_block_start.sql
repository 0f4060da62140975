-- 011: where a client's current block started, so a block with a length ("4 weeks",
-- "12 sessions") has an end: set when a block is given (onboarding, /client edit, the day a
-- /reassign takes effect) and moved to the day after each end when the block repeats.
ALTER TABLE client_profiles ADD COLUMN block_started_on date;

-- Clients before it: the first workout of their latest run on the block they have now (the
-- sessions after the last one on another block), else their start date, or today when that
-- passed and they have trained on nothing else since.
UPDATE client_profiles c
   SET block_started_on = COALESCE(
       (SELECT min(s.local_date) FROM training_sessions s
         WHERE s.user_id = c.user_id AND s.block_id = COALESCE(c.block_id, 'default')
           AND s.local_date > COALESCE(
               (SELECT max(o.local_date) FROM training_sessions o
                 WHERE o.user_id = c.user_id AND o.block_id <> COALESCE(c.block_id, 'default')),
               '-infinity'::date)),
       CASE WHEN EXISTS (SELECT 1 FROM training_sessions o
                          WHERE o.user_id = c.user_id AND o.block_id <> COALESCE(c.block_id, 'default'))
            THEN GREATEST(c.start_date, current_date)
            ELSE c.start_date END);
