-- Alerts: webhooks told about failures. A job's request may name its own receivers (NULL: the
-- installation's; an empty array: none).
ALTER TABLE fanout_job ADD COLUMN alert_webhooks text[];

-- One row per alert and receiver, written when the condition is found and kept until delivered
-- (or given up on): delivery is retried with backoff, and survives restarts and hand-overs. The
-- unique key makes finding a condition again harmless.
CREATE TABLE fanout_alert (
    id               bigserial   PRIMARY KEY,
    kind             text        NOT NULL,
    subject          text        NOT NULL,
    url              text        NOT NULL,
    payload          text        NOT NULL,
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    gave_up_at       timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, subject, url)
);

CREATE INDEX fanout_alert_due ON fanout_alert (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX fanout_alert_created ON fanout_alert (created_at);

-- How far each kind of condition has been looked for. It starts now: what failed before alerts
-- existed is not announced.
CREATE TABLE fanout_alert_watch (
    kind        text        PRIMARY KEY,
    seen_until  timestamptz NOT NULL
);
INSERT INTO fanout_alert_watch (kind, seen_until) VALUES ('jobs', now()), ('workflow_runs', now()), ('parked_letters', now());

CREATE INDEX fanout_replay_at ON fanout_replay (at);

INSERT INTO fanout_lease (name) VALUES ('alerts');
