-- Per-job priority: with a dispatch window, the held tasks of higher-priority jobs go first.
ALTER TABLE fanout_job ADD COLUMN priority int NOT NULL DEFAULT 0;
