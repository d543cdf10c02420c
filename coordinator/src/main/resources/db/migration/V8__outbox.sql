-- The outbox: Kafka effects that committed transactions owe. A row is written in the transaction
-- that decides the effects and deleted once the brokers have acknowledged every record it stands
-- for. What is left (a crash or a failed send in between) is re-driven by the owner of
-- owner_partition, on takeover and periodically; every record is derived again from the rows it
-- names, so a re-drive sends what is true now, and receivers absorb the duplicates.
CREATE TABLE fanout_outbox (
    id               bigserial   PRIMARY KEY,
    owner_partition  int         NOT NULL,
    -- task records: (task_jobs[i], task_ids[i]) is a task whose current attempt is owed while it is DISPATCHED
    task_jobs        uuid[]      NOT NULL DEFAULT '{}',
    task_ids         uuid[]      NOT NULL DEFAULT '{}',
    -- final job events (and, for a cancelled job, the executors' cancel order)
    final_jobs       uuid[]      NOT NULL DEFAULT '{}',
    -- dead-letter records of fanout_dead_letter rows
    letters          bigint[]    NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_outbox_partition ON fanout_outbox (owner_partition, id);

-- Open jobs are RUNNING, REDUCING or SUSPENDED (JobState.OPEN): the partial indexes say the same,
-- so the queries of the coordinator's housekeeping, which filter on that set, can use them.
DROP INDEX fanout_job_open;
CREATE INDEX fanout_job_open ON fanout_job (owner_partition) WHERE state IN ('RUNNING', 'REDUCING', 'SUSPENDED');
DROP INDEX fanout_job_deadline;
CREATE INDEX fanout_job_deadline ON fanout_job (deadline_at) WHERE deadline_at IS NOT NULL AND state IN ('RUNNING', 'REDUCING', 'SUSPENDED');

-- A rejected request's job id, where it had one: a schedule whose last run was rejected is not
-- waiting for that run to finish.
ALTER TABLE fanout_rejected_request ADD COLUMN job_id uuid;
CREATE INDEX fanout_rejected_request_job ON fanout_rejected_request (job_id) WHERE job_id IS NOT NULL;

-- The feed that streamed a job's reduce inputs: the reduce reads only that feed's chunks.
ALTER TABLE fanout_job ADD COLUMN reduce_feed uuid;

-- The attempt a job's next reduce starts at. A replay that discards a reduce moves it past that
-- reduce's attempt, so the discarded reduce's late statuses match nothing in its successor.
ALTER TABLE fanout_job ADD COLUMN reduce_attempt int NOT NULL DEFAULT 0;
