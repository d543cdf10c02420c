-- Dead letters belong to a partition like the jobs they come from: the coordinator that owns
-- owner_partition is the only one that replays, parks, sweeps or deletes them. A task letter
-- belongs to its job's partition; a letter for an unreadable record (no job) to partition 0.
ALTER TABLE fanout_dead_letter ADD COLUMN owner_partition int NOT NULL DEFAULT 0;
UPDATE fanout_dead_letter d SET owner_partition = j.owner_partition FROM fanout_job j WHERE j.job_id = d.job_id;
ALTER TABLE fanout_dead_letter ALTER COLUMN owner_partition DROP DEFAULT; -- every insert says whose a letter is
CREATE INDEX fanout_dead_letter_owner ON fanout_dead_letter (owner_partition, state, id);

-- Records a letter's owner sends once the letter's new state has committed: a parked letter's
-- record on the parking topic (letter_parks), a replayed unreadable record's bytes back to where
-- they came from (letter_returns). Each is owed because it was decided, whatever the letter's state later.
ALTER TABLE fanout_outbox ADD COLUMN letter_parks bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE fanout_outbox ADD COLUMN letter_returns bigint[] NOT NULL DEFAULT '{}';

-- What a dead-letter command did to each of its letters (JSON), so one read again is answered alike.
ALTER TABLE fanout_command ADD COLUMN details text;

-- The sweeper runs in each owner's housekeeping now: its lease is no longer taken.
DELETE FROM fanout_lease WHERE name = 'sweeper';
