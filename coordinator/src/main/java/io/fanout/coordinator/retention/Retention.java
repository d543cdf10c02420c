package io.fanout.coordinator.retention;

import io.fanout.coordinator.RetentionPolicy;
import io.fanout.coordinator.lease.LeaderWork;
import io.fanout.coordinator.lease.Lease;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.RetentionStore;
import io.fanout.shared.metrics.FanoutMeters;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what has outlived its retention and belongs to no job's partition: rejected requests,
 * alerts, commands and the audit log (jobs, their tasks, workflow runs and dead letters are deleted
 * by their owners, see {@link PartitionRetention}). Every coordinator
 * runs one, but only the holder of the
 * {@code retention} lease deletes, in transactions of at most {@link RetentionPolicy#batchSize()}
 * rows, each checking the lease (a coordinator that lost it stops at its next transaction). A round
 * goes on until nothing more is due, so a backlog (a first start on a large database) drains at
 * once instead of a batch per interval.
 */
public final class Retention implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);
    /** A round that keeps finding work yields after this long, so the lease is renewed in between. */
    private static final Duration ROUND_LIMIT = Duration.ofSeconds(5);

    private final Database db;
    private final RetentionPolicy policy;
    private final LeaderWork leader;
    private final FanoutMeters meters;

    public Retention(Database db, RetentionPolicy policy, String coordinatorId, FanoutMeters meters) {
        this.db = db;
        this.policy = policy;
        this.meters = meters;
        this.leader = new LeaderWork(db, "retention", coordinatorId, policy.leaseTtl(), policy.interval(), this::round);
        meters.retentionLeader(() -> isLeader() ? 1 : 0);
    }

    public Retention start() {
        leader.start();
        return this;
    }

    public boolean isLeader() {
        return leader.isLeader();
    }

    private void round(Lease lease, long token) throws Exception {
        long until = System.nanoTime() + ROUND_LIMIT.toNanos();
        int batch = policy.batchSize();
        boolean held = (policy.jobs().isZero()
                    || drain("rejected_requests", token, until, c -> RetentionStore.deleteOldRejections(c, policy.jobs(), batch))
                    && drain("alerts", token, until, c -> RetentionStore.deleteOlderThan(c, "fanout_alert", "created_at", policy.jobs(), batch))
                    && drain("commands", token, until, c -> RetentionStore.deleteOlderThan(c, "fanout_command", "applied_at", policy.jobs(), batch)))
                && (policy.audit().isZero()
                    || drain("audit", token, until, c -> RetentionStore.deleteOlderThan(c, "fanout_audit", "at", policy.audit(), batch)));
        if (!held) {
            log.warn("retention stopped: the lease passed to another coordinator");
        }
    }

    /**
     * Runs the step in lease-fenced transactions of one batch each until it deletes less than a batch
     * (or the round's time is up); false if the lease was lost.
     */
    private boolean drain(String what, long token, long until, LeaderWork.Fenced<Integer> step) throws Exception {
        long total = 0;
        int deleted;
        do {
            Optional<Integer> done = leader.fenced(token, step);
            if (done.isEmpty()) {
                return false;
            }
            deleted = done.get();
            total += deleted;
        } while (deleted >= policy.batchSize() && System.nanoTime() < until);
        if (total > 0) {
            meters.retentionDeleted(what).increment(total);
            log.debug("retention deleted {} {}", total, what);
        }
        return true;
    }

    @Override
    public void close() throws InterruptedException {
        leader.close();
    }
}
