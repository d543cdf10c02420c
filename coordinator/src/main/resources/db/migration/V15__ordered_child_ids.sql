-- Mapped tasks of new jobs are named so that one map call's items are neighbours in the task
-- key (TaskIds.children): a map's rows go into a few index pages, not one random page each.
-- A job accepted before keeps naming its children by a hash of each item (false), so a map that
-- is applied again after the upgrade names the same tasks. Every insert says which a job uses: a
-- coordinator of the previous version inserts without this column and gets its own naming.
ALTER TABLE fanout_job ADD COLUMN ordered_child_ids boolean NOT NULL DEFAULT false;
