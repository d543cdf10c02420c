-- Jobs: one row per accepted job request. Counters are durable: completion is detected from
-- them, never from memory, so any coordinator can take a job over from this table alone.
CREATE TABLE fanout_job (
    job_id            uuid PRIMARY KEY,
    client_key        text UNIQUE,
    processor         text        NOT NULL,
    state             text        NOT NULL,
    owner_partition   int         NOT NULL,
    params            text,
    reduce_required   boolean     NOT NULL DEFAULT false,
    total_tasks       bigint      NOT NULL DEFAULT 0,
    succeeded_tasks   bigint      NOT NULL DEFAULT 0,
    failed_tasks      bigint      NOT NULL DEFAULT 0,
    reduce_partition  int,
    reduce_from       bigint,
    reduce_to         bigint,
    reduce_count      bigint,
    result_json       text,
    error             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);

CREATE INDEX fanout_job_open ON fanout_job (owner_partition) WHERE state IN ('RUNNING', 'REDUCING');

-- Tasks: one row per task. State moves only forward within an attempt (see fanout_state_rank).
-- fillfactor leaves room for HOT updates: status changes rewrite rows without touching the index.
CREATE TABLE fanout_task (
    job_id          uuid        NOT NULL,
    task_id         uuid        NOT NULL,
    parent_id       uuid,
    kind            smallint    NOT NULL,
    task_name       text        NOT NULL,
    state           text        NOT NULL,
    attempt         int         NOT NULL DEFAULT 0,
    payload_format  smallint    NOT NULL,
    payload         bytea,
    result          bytea,
    result_json     text,
    error_class     text,
    error_message   text,
    executor_id     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    received_at     timestamptz,
    started_at      timestamptz,
    finished_at     timestamptz,
    PRIMARY KEY (job_id, task_id)
) WITH (fillfactor = 80);

CREATE FUNCTION fanout_state_rank(state text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE state
        WHEN 'CREATED' THEN 0
        WHEN 'DISPATCHED' THEN 1
        WHEN 'RECEIVED' THEN 2
        WHEN 'RUNNING' THEN 3
        ELSE 4
    END;

-- Requests that could not be accepted, with the reason and the record they came from.
CREATE TABLE fanout_rejected_request (
    id              bigserial   PRIMARY KEY,
    source          text        NOT NULL,
    reason          text        NOT NULL,
    request         text,
    rejected_at     timestamptz NOT NULL DEFAULT now()
);
