package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.SweeperPolicy;
import io.fanout.coordinator.lease.LeaderWork;
import io.fanout.coordinator.lease.Lease;
import io.fanout.coordinator.store.Database;
import io.fanout.shared.metrics.FanoutMeters;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduled dead-letter sweeper. Every coordinator runs one, but only the holder of the
 * {@code sweeper} lease sweeps, and each replay checks the lease in its own transaction, so a
 * coordinator that lost the lease (paused, cut off) cannot replay anything. When the leader dies,
 * another takes the lease once it expires.
 */
public final class Sweeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

    private final DeadLetters letters;
    private final SweeperPolicy policy;
    private final LeaderWork leader;
    private final Counter runs;

    public Sweeper(Database db, DeadLetters letters, SweeperPolicy policy, String coordinatorId, FanoutMeters meters) {
        this.letters = letters;
        this.policy = policy;
        this.leader = new LeaderWork(db, "sweeper", coordinatorId, policy.leaseTtl(), policy.interval(), this::sweep);
        this.runs = meters.sweeperRuns();
        meters.sweeperLeader(() -> isLeader() ? 1 : 0);
    }

    public Sweeper start() {
        leader.start();
        return this;
    }

    /** Whether this coordinator held the sweeper lease at its last renewal. */
    public boolean isLeader() {
        return leader.isLeader();
    }

    private void sweep(Lease lease, long token) throws Exception {
        try {
            List<DeadLetters.Result> results = letters.sweep(policy, lease, token);
            runs.increment();
            if (!results.isEmpty()) {
                log.info("sweeper: {} of {} dead letters replayed or parked", results.stream().filter(DeadLetters.Result::done).count(), results.size());
            }
        } catch (DeadLetters.LeaseLostException e) {
            log.warn("sweep stopped: {}", e.getMessage());
            leader.lost();
        }
    }

    @Override
    public void close() throws InterruptedException {
        leader.close();
    }
}
