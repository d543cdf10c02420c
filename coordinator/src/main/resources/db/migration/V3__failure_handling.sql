-- Failure handling: each job's retry policy, task timeout, deadline and failure allowance.
ALTER TABLE fanout_job
    ADD COLUMN max_attempts        int         NOT NULL DEFAULT 3,
    ADD COLUMN initial_backoff_ms  bigint      NOT NULL DEFAULT 1000,
    ADD COLUMN backoff_multiplier  float8      NOT NULL DEFAULT 2,
    ADD COLUMN max_backoff_ms      bigint      NOT NULL DEFAULT 300000,
    ADD COLUMN backoff_jitter      float8      NOT NULL DEFAULT 0.2,
    ADD COLUMN non_retryable       text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN task_timeout_ms     bigint      NOT NULL DEFAULT 0,
    ADD COLUMN deadline_at         timestamptz,
    ADD COLUMN max_failed_tasks    bigint      NOT NULL DEFAULT 0;

CREATE INDEX fanout_job_deadline ON fanout_job (deadline_at) WHERE deadline_at IS NOT NULL AND state IN ('RUNNING', 'REDUCING');

-- A task waiting to retry has a due time. Only such tasks are in the index, and status updates
-- leave due_at NULL, so they stay HOT updates.
ALTER TABLE fanout_task
    ADD COLUMN due_at           timestamptz,
    ADD COLUMN first_failed_at  timestamptz;

CREATE INDEX fanout_task_due ON fanout_task (due_at) WHERE due_at IS NOT NULL;

-- RETRY_WAIT begins a new attempt; TIMED_OUT and CANCELLED are terminal like FAILED.
CREATE OR REPLACE FUNCTION fanout_state_rank(state text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE state
        WHEN 'CREATED' THEN 0
        WHEN 'RETRY_WAIT' THEN 0
        WHEN 'DISPATCHED' THEN 1
        WHEN 'RECEIVED' THEN 2
        WHEN 'RUNNING' THEN 3
        ELSE 4
    END;

-- The dead-letter index: one row per dead-lettered task (a task that fails again after a replay
-- updates its row, so the replay count carries on) or per unreadable record.
CREATE TABLE fanout_dead_letter (
    id                  bigserial   PRIMARY KEY,
    letter_key          text        NOT NULL UNIQUE,
    reason              text        NOT NULL,
    state               text        NOT NULL DEFAULT 'DEAD',
    job_id              uuid,
    task_id             uuid,
    task_name           text,
    processor           text,
    attempts            int,
    error_class         text        NOT NULL,
    error_message       text,
    stack_trace         text,
    executor_id         text,
    first_failed_at     timestamptz,
    failed_at           timestamptz NOT NULL,
    original_topic      text,
    original_partition  int,
    original_offset     bigint,
    record_key          bytea,
    record_value        bytea,
    dlt_partition       int,
    dlt_offset          bigint,
    replay_count        int         NOT NULL DEFAULT 0,
    last_replayed_at    timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_dead_letter_job ON fanout_dead_letter (job_id);
CREATE INDEX fanout_dead_letter_failed ON fanout_dead_letter (failed_at);

-- Every replay or parking of a letter: when, by whom, and what came of it.
CREATE TABLE fanout_replay (
    id          bigserial   PRIMARY KEY,
    letter_id   bigint      NOT NULL REFERENCES fanout_dead_letter (id),
    action      text        NOT NULL,
    actor       text        NOT NULL,
    outcome     text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_replay_letter ON fanout_replay (letter_id);

-- Leases for work that exactly one coordinator does at a time. The token grows with every new
-- holder; work done under a lease checks it in the same transaction (fencing).
CREATE TABLE fanout_lease (
    name        text        PRIMARY KEY,
    holder      text,
    token       bigint      NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL DEFAULT '-infinity'
);

INSERT INTO fanout_lease (name) VALUES ('sweeper');
