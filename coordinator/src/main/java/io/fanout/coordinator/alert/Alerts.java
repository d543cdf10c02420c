package io.fanout.coordinator.alert;

import io.fanout.coordinator.AlertPolicy;
import io.fanout.coordinator.lease.LeaderWork;
import io.fanout.coordinator.lease.Lease;
import io.fanout.coordinator.pools.PoolWatch;
import io.fanout.coordinator.store.AlertStore;
import io.fanout.coordinator.store.Database;
import io.fanout.shared.metrics.FanoutMeters;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alerts: the holder of the {@code alerts} lease looks, every interval, for what went wrong since
 * its last look (jobs failed or past their deadline, workflow runs failed, dead letters the sweeper
 * parked, pools stalled), stores one alert per receiver in the same transaction as the look, then
 * delivers what is due. Conditions are read from committed state, so no failure can be missed by a
 * crash; a delivery that fails is retried with backoff, across restarts and hand-overs; a receiver
 * may get an alert twice (at-least-once), and tells by {@code X-Fanout-Delivery}.
 */
public final class Alerts implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Alerts.class);
    private static final int DELIVERIES_PER_ROUND = 200;
    /** Longer than a round's deliveries can take (they go at once, each bounded by the sender's timeout). */
    private static final Duration CLAIM = Duration.ofMinutes(1);

    private final Database db;
    private final AlertPolicy policy;
    private final LeaderWork leader;
    private final WebhookSender sender;
    private final WebhookAllowList allowed;
    private final StalledPools pools;
    private final FanoutMeters meters;
    private final Clock clock;

    public Alerts(Database db, AlertPolicy policy, PoolWatch poolWatch, String coordinatorId, FanoutMeters meters, Clock clock) {
        this.db = db;
        this.policy = policy;
        this.meters = meters;
        this.clock = clock;
        this.sender = new WebhookSender(policy.secret());
        this.allowed = WebhookAllowList.of(policy);
        this.pools = policy.webhooks().isEmpty() ? null : new StalledPools(poolWatch, policy.poolStalledAfter());
        this.leader = new LeaderWork(db, "alerts", coordinatorId, policy.leaseTtl(), policy.interval(), this::round);
    }

    public Alerts start() {
        leader.start();
        return this;
    }

    private void round(Lease lease, long token) throws Exception {
        detect(token);
        deliver();
    }

    /** Looks for every kind of condition in one transaction that also stores the alerts, fenced by the lease. */
    private void detect(long token) throws Exception {
        List<AlertStore.NewAlert> found = new ArrayList<>();
        if (pools != null) {
            pools.look(clock.instant()).forEach(s -> found.addAll(AlertStore.stalledPool(policy.webhooks(), s.pool(), s.lag(), s.since())));
        }
        int added = leader.fenced(token, c -> {
            found.addAll(AlertStore.failedJobs(c, policy.webhooks()));
            found.addAll(AlertStore.failedRuns(c, policy.webhooks()));
            found.addAll(AlertStore.parkedLetters(c, policy.webhooks()));
            return AlertStore.enqueue(c, found);
        }).orElse(0);
        if (added > 0) {
            log.info("{} alert(s) to deliver", added);
        }
    }

    /** Sends the due alerts at once, then records each outcome: delivered, due again after a backoff, or given up. */
    private void deliver() throws SQLException {
        try (Connection c = db.connection()) {
            List<AlertStore.Due> due = AlertStore.claimDue(c, DELIVERIES_PER_ROUND, CLAIM);
            long now = clock.instant().getEpochSecond();
            // checked again here: a row may predate today's allow-list, or have been stored around the intake's check
            List<String> refusals = due.stream().map(a -> allowed.reasonAgainstDelivery(a.url())).toList();
            List<CompletableFuture<String>> sent = new ArrayList<>();
            for (int i = 0; i < due.size(); i++) {
                AlertStore.Due a = due.get(i);
                sent.add(refusals.get(i) != null ? CompletableFuture.completedFuture(refusals.get(i)) : sender.send(a.url(), a.kind(), a.id(), a.payload(), now));
            }
            for (int i = 0; i < due.size(); i++) {
                AlertStore.Due a = due.get(i);
                String error = sent.get(i).join();
                if (refusals.get(i) != null) {
                    AlertStore.attempted(c, a.id(), error, null);
                    meters.alerts(a.kind(), "gave_up").increment();
                    log.error("alert {} ({}) not sent: {}", a.id(), a.kind(), error);
                } else if (error == null) {
                    AlertStore.attempted(c, a.id(), null, null);
                    meters.alerts(a.kind(), "delivered").increment();
                } else if (a.attempts() + 1 >= policy.maxAttempts()) {
                    AlertStore.attempted(c, a.id(), error, null);
                    meters.alerts(a.kind(), "gave_up").increment();
                    log.error("alert {} ({}) to {} given up after {} attempts: {}", a.id(), a.kind(), a.url(), a.attempts() + 1, error);
                } else {
                    Instant next = clock.instant().plus(policy.backoff(a.attempts()));
                    AlertStore.attempted(c, a.id(), error, next);
                    meters.alerts(a.kind(), "retried").increment();
                    log.warn("alert {} ({}) to {} not delivered ({}); next attempt at {}", a.id(), a.kind(), a.url(), error, next);
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        leader.close();
    }
}
