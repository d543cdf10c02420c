package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.SweeperPolicy;
import io.fanout.coordinator.store.Database;
import io.fanout.shared.metrics.FanoutMeters;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduled dead-letter sweeper. Every coordinator runs one, but only the holder of the
 * {@code sweeper} lease sweeps: it renews the lease every third of its lifetime, and each replay
 * checks the lease in its own transaction, so a coordinator that lost the lease (paused, cut off)
 * cannot replay anything. When the leader dies, another takes the lease once it expires.
 */
public final class Sweeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

    private final Database db;
    private final DeadLetters letters;
    private final SweeperPolicy policy;
    private final Lease lease;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicLong sweeps = new AtomicLong();
    private final Counter runs;
    private volatile long token = -1;

    public Sweeper(Database db, DeadLetters letters, SweeperPolicy policy, String coordinatorId, FanoutMeters meters) {
        this.runs = meters.sweeperRuns();
        meters.sweeperLeader(() -> isLeader() ? 1 : 0);
        this.db = db;
        this.letters = letters;
        this.policy = policy;
        this.lease = new Lease("sweeper", coordinatorId);
        this.thread = new Thread(this::run, "fanout-sweeper");
    }

    public Sweeper start() {
        thread.start();
        return this;
    }

    /** Whether this coordinator held the sweeper lease at its last renewal. */
    public boolean isLeader() {
        return token >= 0;
    }

    /** Sweeps done by this coordinator. */
    public long sweeps() {
        return sweeps.get();
    }

    private void run() {
        long renewEvery = Math.max(50, policy.leaseTtl().toMillis() / 3);
        long nextSweep = 0;
        try {
            do {
                if (renew() && System.currentTimeMillis() >= nextSweep) {
                    nextSweep = System.currentTimeMillis() + policy.interval().toMillis();
                    sweep();
                }
            } while (!stop.await(Math.min(renewEvery, policy.interval().toMillis()), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean renew() {
        try (Connection c = db.connection()) {
            OptionalLong got = lease.acquire(c, policy.leaseTtl());
            long before = token;
            token = got.orElse(-1);
            if (token >= 0 && before != token) {
                log.info("coordinator {} leads the dead-letter sweeper (lease token {})", lease.holder(), token);
            } else if (token < 0 && before >= 0) {
                log.warn("coordinator {} lost the dead-letter sweeper lease", lease.holder());
            }
        } catch (SQLException e) {
            log.warn("sweeper lease could not be renewed: {}", e.toString());
            token = -1;
        }
        return token >= 0;
    }

    private void sweep() {
        try {
            List<DeadLetters.Result> results = letters.sweep(policy, lease, token);
            sweeps.incrementAndGet();
            runs.increment();
            long done = results.stream().filter(DeadLetters.Result::done).count();
            if (!results.isEmpty()) {
                log.info("sweeper: {} of {} dead letters replayed or parked", done, results.size());
            }
        } catch (DeadLetters.LeaseLostException e) {
            log.warn("sweep stopped: {}", e.getMessage());
            token = -1;
        } catch (SQLException | RuntimeException e) {
            log.warn("sweep failed, trying again at the next interval: {}", e.toString());
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.countDown();
        thread.join(Duration.ofSeconds(30));
        if (token >= 0) {
            try (Connection c = db.connection()) {
                lease.release(c, token);
            } catch (SQLException e) {
                log.warn("sweeper lease not released (it expires by itself): {}", e.toString());
            }
        }
    }
}
