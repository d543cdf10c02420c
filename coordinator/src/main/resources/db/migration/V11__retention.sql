-- Retention: finished jobs are deleted once their time-to-live has passed. A job's own
-- ttl_after_finished_ms (from its request) sets expires_at when it finishes; a job without one
-- follows the installation's default, counted from finished_at. Each has an index that holds only
-- its jobs, so the retention query reads the rows it deletes and no others.
ALTER TABLE fanout_job
    ADD COLUMN ttl_after_finished_ms bigint,
    ADD COLUMN expires_at            timestamptz;

CREATE INDEX fanout_job_expires ON fanout_job (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX fanout_job_default_ttl ON fanout_job (finished_at) WHERE finished_at IS NOT NULL AND ttl_after_finished_ms IS NULL;

-- A deleted job's tasks, removed in bounded batches after the job row itself is gone (so the
-- job disappears at once, and no transaction holds a million task rows' locks).
CREATE TABLE fanout_purge (
    job_id     uuid        PRIMARY KEY,
    queued_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_workflow_run_finished ON fanout_workflow_run (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX fanout_rejected_request_at ON fanout_rejected_request (rejected_at);
CREATE INDEX fanout_schedule_last_job ON fanout_schedule (last_job_id) WHERE last_job_id IS NOT NULL;

INSERT INTO fanout_lease (name) VALUES ('retention');
