package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.StagedStatus;
import io.fanout.shared.DeadLetterHeaders.Reason;
import io.fanout.shared.wire.Failure;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.DoubleSupplier;

/**
 * Applies each job's retry policy to its failed attempts: another attempt after the backoff (or
 * after the wait a "retry later" exception asked for), or a dead letter when the failure is not
 * retryable or the attempts are used up. Policies are read from the job rows, once per batch that
 * has failures.
 */
final class FailurePolicy {

    /** The longest wait before a retry, whatever a processor asks for. */
    static final long MAX_WAIT_MILLIS = Duration.ofDays(30).toMillis();

    private final Clock clock;
    private final DoubleSupplier random;

    FailurePolicy(Clock clock, DoubleSupplier random) {
        this.clock = clock;
        this.random = random;
    }

    List<StagedStatus> decide(Connection conn, JobStore jobs, Collection<StagedStatus> statuses) throws SQLException {
        Set<UUID> failing = new HashSet<>();
        for (StagedStatus s : statuses) {
            if (s.state().isFailure()) {
                failing.add(s.jobId());
            }
        }
        if (failing.isEmpty()) {
            return new ArrayList<>(statuses);
        }
        Map<UUID, JobRow> policies = jobs.load(conn, failing);
        List<StagedStatus> decided = new ArrayList<>(statuses.size());
        for (StagedStatus s : statuses) {
            decided.add(s.state().isFailure() && policies.containsKey(s.jobId()) ? decide(s, policies.get(s.jobId())) : s);
        }
        return decided;
    }

    StagedStatus decide(StagedStatus s, JobRow job) {
        Failure f = s.failure();
        if (!f.retryable() || job.retry().nonRetryable().contains(f.errorClass())) {
            return s.deadLetter(Reason.NON_RETRYABLE.name());
        }
        if (!job.retry().allowsAnotherAfter(s.attempt())) {
            return s.deadLetter(Reason.ATTEMPTS_EXHAUSTED.name());
        }
        long wait = f.retryAfterMillis() >= 0 ? f.retryAfterMillis() : job.retry().backoff(s.attempt(), random.getAsDouble()).toMillis();
        return s.retryAt(clock.millis() + Math.min(wait, MAX_WAIT_MILLIS));
    }
}
