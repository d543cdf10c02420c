-- API tokens of the REST API and console: only a hash of each is kept (the token is shown once,
-- when it is created). A token grants its scope and every lower one: read < operate < admin.
CREATE TABLE fanout_api_token (
    id           uuid        PRIMARY KEY,
    name         text        NOT NULL,
    scope        text        NOT NULL CHECK (scope IN ('read', 'operate', 'admin')),
    token_hash   text        NOT NULL UNIQUE,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- Every state-changing action taken through the API: who, what, on what, from where, and how it ended.
CREATE TABLE fanout_audit (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text        NOT NULL,
    action    text        NOT NULL,
    target    text,
    outcome   text        NOT NULL,
    remote    text,
    detail    text
);

CREATE INDEX fanout_audit_at ON fanout_audit (at);

-- The console's lists look at a recent window of jobs and runs, newest first; the throughput it
-- shows reads the jobs that finished since its last look.
CREATE INDEX fanout_job_created ON fanout_job (created_at);
CREATE INDEX fanout_job_finished ON fanout_job (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX fanout_workflow_run_created ON fanout_workflow_run (created_at);
