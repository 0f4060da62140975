-- The pause-end engine was called "roster", a word that meant four things in this code base. It is
-- "pauses" now; its jobs and its planner's watermark follow.
UPDATE jobs SET engine = 'pauses' WHERE engine = 'roster';
UPDATE planner_watermarks SET planner = 'pauses' WHERE planner = 'roster'
   AND NOT EXISTS (SELECT 1 FROM planner_watermarks WHERE planner = 'pauses');
DELETE FROM planner_watermarks WHERE planner = 'roster';
