-- Workflow definitions, one row per version. A run keeps the version it started with.
CREATE TABLE fanout_workflow (
    name        text        NOT NULL,
    version     int         NOT NULL,
    definition  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- Workflow runs: owned, like jobs, by the coordinator of owner_partition; their node jobs share it.
CREATE TABLE fanout_workflow_run (
    run_id           uuid PRIMARY KEY,
    client_key       text UNIQUE,
    workflow         text        NOT NULL,
    version          int         NOT NULL,
    state            text        NOT NULL,
    owner_partition  int         NOT NULL,
    params           text        NOT NULL,
    error            text,
    -- set by an operator's action (resume, retry, a node marked succeeded): the owner looks at the run again
    wake             boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    FOREIGN KEY (workflow, version) REFERENCES fanout_workflow (name, version)
);

CREATE INDEX fanout_workflow_run_open ON fanout_workflow_run (owner_partition) WHERE state IN ('RUNNING', 'SUSPENDED');
CREATE INDEX fanout_workflow_run_woken ON fanout_workflow_run (owner_partition) WHERE wake;

-- One row per node of a run. job_id is the job of the node's current attempt, named
-- deterministically from (run, node, attempt): starting a node twice names one job.
CREATE TABLE fanout_workflow_node (
    run_id       uuid        NOT NULL REFERENCES fanout_workflow_run,
    node         text        NOT NULL,
    state        text        NOT NULL,
    attempt      int         NOT NULL DEFAULT 0,
    job_id       uuid,
    result_json  text,
    error        text,
    started_at   timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (run_id, node)
);

-- The nodes whose job runs: the owner looks among them for jobs that have ended.
CREATE INDEX fanout_workflow_node_running ON fanout_workflow_node (job_id) WHERE state = 'RUNNING';

-- Final run events owed to Kafka.
ALTER TABLE fanout_outbox ADD COLUMN final_runs uuid[] NOT NULL DEFAULT '{}';
