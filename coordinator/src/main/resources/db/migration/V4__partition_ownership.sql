-- Which coordinator owns each coordinator partition (and with it the jobs of that partition), and
-- since which epoch. A coordinator that is given a partition increments its epoch; every
-- transaction that writes a partition's jobs checks the epoch it holds, so a former owner (paused,
-- cut off from Kafka) can no longer write once another has taken over.
CREATE TABLE fanout_partition_owner (
    partition   int         PRIMARY KEY,
    owner       text        NOT NULL,
    epoch       bigint      NOT NULL,
    since       timestamptz NOT NULL DEFAULT now()
);
