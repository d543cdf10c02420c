-- Per-job parallelism: at most `parallelism` of a job's tasks in flight (0: no limit). in_flight
-- counts the job's attempts dispatched and not yet finished; it is kept by the same statements
-- that dispatch and finish them.
ALTER TABLE fanout_job
    ADD COLUMN parallelism int    NOT NULL DEFAULT 0,
    ADD COLUMN in_flight   bigint NOT NULL DEFAULT 0;

-- Tasks held back (parallelism reached, or the job suspended), in the order they are released.
CREATE TABLE fanout_task_held (
    job_id   uuid      NOT NULL,
    seq      bigserial NOT NULL,
    task_id  uuid      NOT NULL,
    PRIMARY KEY (job_id, seq)
);
