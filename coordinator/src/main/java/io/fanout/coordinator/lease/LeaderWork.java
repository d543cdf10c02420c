package io.fanout.coordinator.lease;

import io.fanout.coordinator.store.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work that exactly one coordinator does at a time. A thread in every coordinator renews a
 * {@link Lease} every third of its lifetime; the holder runs the work every {@code every}, passing
 * the lease and its token so the work can fence its writes with {@link Lease#check}. Closing gives
 * the lease up, so another coordinator takes over at once rather than when it expires.
 */
public final class LeaderWork implements AutoCloseable {

    /** The work, run by the lease holder only. */
    public interface Work {
        void run(Lease lease, long token) throws Exception;
    }

    /** Work done in a transaction fenced by the lease. */
    public interface Fenced<T> {
        T run(Connection c) throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(LeaderWork.class);

    private final Database db;
    private final Lease lease;
    private final Duration ttl;
    private final Duration every;
    private final Work work;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile long token = -1;

    public LeaderWork(Database db, String leaseName, String holder, Duration ttl, Duration every, Work work) {
        this.db = db;
        this.lease = new Lease(leaseName, holder);
        this.ttl = ttl;
        this.every = every;
        this.work = work;
        this.thread = new Thread(this::run, "fanout-" + leaseName);
    }

    public LeaderWork start() {
        thread.start();
        return this;
    }

    /** Whether this coordinator held the lease at its last renewal. */
    public boolean isLeader() {
        return token >= 0;
    }

    /** The work found the lease gone: stop working until it is renewed. */
    public void lost() {
        token = -1;
    }

    /**
     * Runs {@code work} in one transaction that first checks the lease is still held with
     * {@code token} (share-locking it until the commit, so no one takes it over meanwhile) and
     * returns what the work returned; or, if the lease has passed to another coordinator, rolls back,
     * stops working until the lease is renewed, and returns empty. What the work throws rolls back
     * and is thrown.
     */
    public <T> Optional<T> fenced(long token, Fenced<T> work) throws Exception {
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                if (!lease.check(c, token)) {
                    c.rollback();
                    lost();
                    return Optional.empty();
                }
                T result = work.run(c);
                c.commit();
                return Optional.of(result);
            } catch (Exception e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private void run() {
        long renewEvery = Math.max(50, ttl.toMillis() / 3);
        long nextRun = 0;
        try {
            do {
                if (renew() && System.currentTimeMillis() >= nextRun) {
                    nextRun = System.currentTimeMillis() + every.toMillis();
                    try {
                        work.run(lease, token);
                    } catch (Exception e) {
                        log.warn("{} failed, trying again at the next round: {}", thread.getName(), e.toString());
                    }
                }
            } while (!stop.await(Math.min(renewEvery, every.toMillis()), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean renew() {
        try (Connection c = db.connection()) {
            OptionalLong got = lease.acquire(c, ttl);
            long before = token;
            token = got.orElse(-1);
            if (token >= 0 && before != token) {
                log.info("coordinator {} holds the {} lease (token {})", lease.holder(), lease.name(), token);
            } else if (token < 0 && before >= 0) {
                log.warn("coordinator {} lost the {} lease", lease.holder(), lease.name());
            }
        } catch (SQLException e) {
            log.warn("{} lease could not be renewed: {}", lease.name(), e.toString());
            token = -1;
        }
        return token >= 0;
    }

    @Override
    public void close() throws InterruptedException {
        stop.countDown();
        thread.join(Duration.ofSeconds(30));
        if (token >= 0) {
            try (Connection c = db.connection()) {
                lease.release(c, token);
            } catch (SQLException e) {
                log.warn("{} lease not released (it expires by itself): {}", lease.name(), e.toString());
            }
        }
    }
}
