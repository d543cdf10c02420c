-- Executor pools: the pool whose executors run a job's tasks.
ALTER TABLE fanout_job ADD COLUMN pool text NOT NULL DEFAULT 'default';
