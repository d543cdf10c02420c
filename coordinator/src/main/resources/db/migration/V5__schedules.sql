-- Recurring jobs: a job request template fired on a cron schedule by one coordinator at a time
-- (the 'scheduler' lease).
CREATE TABLE fanout_schedule (
    name                text        PRIMARY KEY,
    cron                text        NOT NULL,
    zone                text        NOT NULL,
    request             text        NOT NULL,
    concurrency_policy  text        NOT NULL,
    next_fire_at        timestamptz NOT NULL,
    last_fired_at       timestamptz,
    last_job_id         uuid,
    fired               bigint      NOT NULL DEFAULT 0,
    skipped             bigint      NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_schedule_due ON fanout_schedule (next_fire_at);

INSERT INTO fanout_lease (name) VALUES ('scheduler');
