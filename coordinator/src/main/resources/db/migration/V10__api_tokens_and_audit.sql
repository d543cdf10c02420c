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
