-- The tasks an outbox row owes, as runs of neighbouring ids (job id, first task id, count: 36 bytes
-- a run, see TaskRuns) instead of two uuid[] entries a task: a map's children differ only in their
-- item index, so a transaction that dispatches thousands owes a few runs. task_jobs keeps the
-- distinct jobs, which retention reads. A row written before (task_ids not empty) is read as it
-- was; a coordinator of the previous version re-drives a new row's other effects but not its tasks
-- (the lost-record check sends those again: docs/operations.md).
ALTER TABLE fanout_outbox ADD COLUMN task_runs bytea NOT NULL DEFAULT ''::bytea;
