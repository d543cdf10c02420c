package io.fanout.coordinator;

import java.time.Duration;

/**
 * How long finished work is kept in PostgreSQL, and how the deleting is paced. A zero retention
 * keeps those rows for ever.
 *
 * @param jobs a finished job (its tasks, its resolved dead letters and their replay log), a
 *     finished workflow run and a rejected request are deleted this long after they ended, unless
 *     a job's request sets its own {@code ttlAfterFinishedMs}; alerts go this long after they were raised
 * @param deadLetters a dead letter (with its replay log) is deleted this long after its last failure,
 *     whatever its state; while a job has letters waiting (DEAD or PARKED), the job is kept
 * @param audit entries of the console's and API's audit log are deleted this long after they were written
 * @param interval time between retention rounds (one coordinator, the lease holder, deletes)
 * @param batchSize rows deleted per transaction: each transaction is short and holds few locks
 * @param leaseTtl how long the retention lease lasts without renewal
 */
public record RetentionPolicy(Duration jobs, Duration deadLetters, Duration audit, Duration interval, int batchSize, Duration leaseTtl) {

    public static final RetentionPolicy DEFAULT = new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90),
            Duration.ofMinutes(1), 1000, Duration.ofSeconds(15));

    public RetentionPolicy {
        nonNegative("job retention", jobs);
        nonNegative("dead-letter retention", deadLetters);
        nonNegative("audit retention", audit);
        if (interval == null || interval.toMillis() < 1) {
            throw new IllegalArgumentException("retention setting 'interval' must be positive");
        }
        if (batchSize < 1 || batchSize > 100_000) {
            throw new IllegalArgumentException("retention setting 'batch-size' must be from 1 to 100000, got " + batchSize);
        }
        if (leaseTtl == null || leaseTtl.toMillis() < 100) {
            throw new IllegalArgumentException("retention setting 'lease-ttl' must be at least 100 ms");
        }
    }

    private static void nonNegative(String what, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero (keep for ever) or positive");
        }
    }

    @Override
    public String toString() {
        return "jobs " + shown(jobs) + ", dead letters " + shown(deadLetters) + ", audit " + shown(audit) + ", every " + interval;
    }

    private static String shown(Duration d) {
        return d.isZero() ? "kept" : d.toString();
    }
}
