-- Commands (cancel, suspend, resume, retry, mark-succeeded) carried out by the coordinator that
-- owns their job or workflow run (the target), one row per command id: a command read again (a
-- batch re-applied, a partition taken over before its offset was committed) is answered as it
-- was the first time, never carried out twice. Deleted with the jobs' retention.
CREATE TABLE fanout_command (
    command_id  uuid        PRIMARY KEY,
    target      uuid        NOT NULL,
    kind        text        NOT NULL,
    done        boolean     NOT NULL,
    message     text        NOT NULL,
    actor       text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX fanout_command_applied ON fanout_command (applied_at);

-- Retention of jobs, their tasks and workflow runs is done by the coordinator that owns their
-- partition: a deleted job's tasks are purged by that partition's owner (rows queued before this
-- column existed, by any owner).
ALTER TABLE fanout_purge ADD COLUMN owner_partition int;
