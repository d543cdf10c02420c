package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One share consumer of an executor's {@link ShareLoop}, on a thread of its own. Kafka requires
 * every record a poll returned to be acknowledged before the next poll, and its share consumer
 * returns no new record while one it holds is being renewed (RENEW extends the record's lock and
 * delivers it to this member again). So a member takes a batch, waits until each record of it is
 * decided (renewing the undecided ones half-way through their lock), acknowledges them, and only
 * then takes the next batch: ACCEPT once an outcome's report is acknowledged, RELEASE when a record
 * is handed back unrun, REJECT once an unreadable record is dead-lettered. The executor's members
 * share one register of the records they hold: a record delivered again to any of them (renewed,
 * or its lock lapsed) is never started twice here, and the member it came to settles it. A member
 * that dies holds its records until their lock expires; the broker then delivers them to another.
 */
final class ShareMember implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ShareMember.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** The broker's default acquisition lock, until the first fetch tells the group's own. */
    private static final int DEFAULT_LOCK_MS = 30_000;

    record Key(TopicPartition tp, long offset) {
        static Key of(Attempt a) {
            return new Key(a.tp, a.offset);
        }
    }

    /** A record a member of this executor holds: handed out by a poll, and not yet acknowledged for good. */
    static final class Held {
        /** The member that acknowledges it: the last one a poll delivered it to. */
        volatile ShareMember owner;
        /** Its attempts, one per task it carries, while they wait or run here (null for an unreadable record). */
        volatile List<Attempt> attempts;
        /** How its tasks have left this executor (null for an unreadable record); guarded by this. */
        RecordItems items;

        /** Whether this is the record (this delivery of it) that {@code a} came in. */
        boolean carries(Attempt a) {
            List<Attempt> mine = attempts;
            return mine != null && a.item < mine.size() && mine.get(a.item) == a;
        }

        /**
         * Records how an attempt of this record left (ACCEPT: reported; RELEASE: handed back) and
         * returns the record's decision once it has one: ACCEPT when every task is reported,
         * RELEASE when none is in flight any more and one was handed back; else null.
         */
        synchronized AcknowledgeType settle(Attempt a, AcknowledgeType how) {
            if (how == AcknowledgeType.ACCEPT) {
                items.finish(a.item);
            } else {
                items.handBack(a.item);
            }
            return items.finished() ? AcknowledgeType.ACCEPT : items.handedBack() ? AcknowledgeType.RELEASE : null;
        }
        /** How it is to be acknowledged, once known (set by any thread). */
        volatile AcknowledgeType decision;
        /** The broker refused an acknowledgement of it: its lock had expired, so it may be running elsewhere too. */
        volatile boolean lost;
    }

    private final ShareConsumer<byte[], byte[]> consumer;
    private final ExecutorConfig config;
    private final Attempts attempts;
    private final Intake intake;
    private final PoisonRecords poison;
    private final String name;
    /** Every record the executor's members hold, shared by them. */
    private final Map<Key, Held> held;
    /** Called when this member breaks, before its consumer closes: the executor stops. */
    private final Runnable broke;
    /** The records of the last poll not yet acknowledged. Member thread only. */
    private final List<ConsumerRecord<byte[], byte[]>> unacknowledged = new ArrayList<>();
    private final LinkedBlockingQueue<Key> decided = new LinkedBlockingQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile long drainBy;
    /** Since when (System.nanoTime) this member has held an undecided record without a break; 0 while it holds none. */
    private volatile long undecidedSince;
    private boolean lockLogged;
    /** Acknowledgements made since the last poll or commit: only those send them. Member thread only. */
    private boolean unsent;

    /** Where a member's attempts go to be started: the executor's, which starts them as its buffer has room. */
    interface Intake {
        void offer(List<Attempt> taken);

        /** Attempts taken and not started, whether waiting here for room or for a slot. */
        int waiting();
    }

    ShareMember(ShareConsumer<byte[], byte[]> consumer, String name, Map<Key, Held> held, Runnable broke, ExecutorConfig config, Attempts attempts,
                Intake intake, PoisonRecords poison) {
        this.consumer = consumer;
        this.name = name;
        this.held = held;
        this.broke = broke;
        this.config = config;
        this.attempts = attempts;
        this.intake = intake;
        this.poison = poison;
        // Runs on the member's thread, inside poll or commitSync.
        consumer.setAcknowledgementCommitCallback((offsets, error) -> {
            if (error != null) {
                log.warn("executor {} ({}): acknowledgements refused ({}); those records may be delivered to another member", config.executorId(), name,
                        error.toString());
                offsets.forEach((tip, set) -> set.forEach(o -> {
                    Held h = held.get(new Key(tip.topicPartition(), o));
                    if (h != null && h.owner == this) {
                        h.lost = true;
                    }
                }));
            }
        });
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topics().tasks(config.pool())));
            while (!stopping) {
                // Enough records wait for a slot: take no more for now. A member that holds records polls on, as
                // only a poll brings its renewed records back to be renewed again before their lock runs out.
                if (!holdsAny() && intake.waiting() >= config.concurrency()) {
                    if (unsent) { // a poll would have sent them
                        consumer.commitAsync();
                        unsent = false;
                    }
                    decided.poll(10, TimeUnit.MILLISECONDS);
                    continue;
                }
                unsent = false;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    take(r);
                }
                settleBatch();
            }
            drain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!stopping) {
                config.health().failed("executor share loop", e);
            }
        } catch (RuntimeException | Error e) {
            log.error("executor {} ({}) stopped by an unexpected error; the executor stops", config.executorId(), name, e);
            config.health().failed("executor share loop", e);
            broke.run(); // before the close releases its records: what runs here must not run here again when a sibling gets them
        } finally {
            try {
                consumer.close(Duration.ofSeconds(10)); // sends what is acknowledged; the broker releases the rest to other members
            } finally {
                stopped.countDown();
            }
        }
    }

    private void take(ConsumerRecord<byte[], byte[]> r) {
        unacknowledged.add(r);
        Key key = key(r);
        Held h = new Held();
        h.owner = this;
        Held known = held.putIfAbsent(key, h);
        if (known != null) { // renewed, or its lock lapsed, and delivered to this member: already running or decided here
            known.owner = this;
            known.lost = false;
            return;
        }
        List<TaskRecord> tasks;
        try {
            tasks = WireCodec.decodeTasks(r.value());
        } catch (WireFormatException e) {
            log.error("unreadable task record {}@{} goes to the dead-letter topic: {}", key.tp(), r.offset(), e.getMessage());
            poison.deadLetter(r, e, () -> decide(key, h, AcknowledgeType.REJECT));
            return;
        }
        int deliveryCount = r.deliveryCount().map(Short::intValue).orElse(1);
        List<Attempt> taken = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            taken.add(new Attempt(tasks.get(i), key.tp(), r.offset(), i, deliveryCount, r.timestamp()));
        }
        synchronized (h) {
            h.items = new RecordItems(tasks.size());
        }
        h.attempts = taken;
        intake.offer(taken);
    }

    private static Key key(ConsumerRecord<byte[], byte[]> r) {
        return new Key(new TopicPartition(r.topic(), r.partition()), r.offset());
    }

    /** Records the decision on a held record, for the member that holds it to acknowledge. */
    static void decide(Map<Key, Held> held, Key key, Held h, AcknowledgeType decision) {
        if (h.lost) { // not ours to acknowledge any more: the member of another executor that has it now settles it
            held.remove(key, h);
            return;
        }
        h.decision = decision;
        h.owner.decided.add(key);
    }

    private void decide(Key key, Held h, AcknowledgeType decision) {
        decide(held, key, h, decision);
    }

    /**
     * Acknowledges every record of the last poll before the next one: waits until each has its
     * decision, but renews those still undecided (running, or waiting for a slot) half-way through
     * the lock, and after a stop is asked for.
     */
    private void settleBatch() throws InterruptedException {
        Optional<Integer> lock = consumer.acquisitionLockTimeoutMs();
        if (!lockLogged && lock.isPresent()) {
            lockLogged = true;
            log.info("executor {} ({}): records are locked for {} ms (a dead member's come back after that)", config.executorId(), name, lock.get());
        }
        long now = System.nanoTime();
        long renewAt = now + TimeUnit.MILLISECONDS.toNanos(lock.orElse(DEFAULT_LOCK_MS) / 2);
        if (undecidedSince == 0 && !unacknowledged.isEmpty()) {
            undecidedSince = now;
        }
        while (acknowledgeDecided() > 0 && !stopping && System.nanoTime() < renewAt) {
            decided.poll(10, TimeUnit.MILLISECONDS);
        }
        if (!undecided()) {
            undecidedSince = 0;
        }
        if (renewTheRest()) {
            // Sent now, and waited for: a poll that sends renewals also fetches new records, which the
            // consumer then holds unreturned, their lock running, until no record of it is renewed.
            commitNow();
        }
    }

    private void commitNow() {
        try {
            consumer.commitSync(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            log.warn("executor {} ({}): acknowledgements not sent ({}); the next poll sends them", config.executorId(), name, e.toString());
        }
        unsent = false;
    }

    /** How long this member has held an undecided record, renewals included: while it does, it takes nothing new (0 when it does not). */
    long undecidedNanos() {
        long since = undecidedSince;
        return since == 0 ? 0 : System.nanoTime() - since;
    }

    /** Acknowledges the rest of the last poll's records (renewing those this member still holds undecided); returns whether it renewed any. */
    private boolean renewTheRest() {
        boolean renewed = false;
        for (ConsumerRecord<byte[], byte[]> r : unacknowledged) {
            renewed |= acknowledge(r, AcknowledgeType.RENEW) == AcknowledgeType.RENEW;
        }
        unacknowledged.clear();
        return renewed;
    }

    /** Acknowledges the records of the last poll that have a decision; returns how many have none yet. */
    private int acknowledgeDecided() {
        decided.clear();
        unacknowledged.removeIf(r -> acknowledge(r, null) != null);
        return unacknowledged.size();
    }

    /**
     * Acknowledges a record of the last poll with its decision, or else with {@code otherwise}
     * (nothing when null); returns how it was acknowledged, or null. A record this member no longer
     * holds (settled, or delivered since to another member of this executor) is released: the
     * broker refuses that where the lock is no longer this member's.
     */
    private AcknowledgeType acknowledge(ConsumerRecord<byte[], byte[]> r, AcknowledgeType otherwise) {
        Key key = key(r);
        Held h = held.get(key);
        AcknowledgeType how = h == null || h.owner != this ? AcknowledgeType.RELEASE : h.decision != null ? h.decision : otherwise;
        if (how == null) {
            return null;
        }
        consumer.acknowledge(r, how);
        unsent = true;
        if (h != null && h.owner == this && h.decision != null) {
            held.remove(key, h);
        }
        return how;
    }

    /**
     * Graceful stop: take nothing new (what a poll still brings is released at once), let running
     * tasks finish within the grace period and acknowledge them as they do (their renewed records
     * come back through the polls), hand back the rest; closing releases what is not acknowledged.
     */
    private void drain() throws InterruptedException {
        while (undecided() && System.nanoTime() < drainBy) {
            attempts.stopStarting(); // tasks waiting for a worker go back unrun
            drainRound();
        }
        if (undecided()) {
            log.warn("executor {} ({}): tasks still unfinished after {}; handing them back", config.executorId(), name, config.shutdownGrace());
            attempts.handBackRunning();
        }
        long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // the decisions of what just finished come back through a poll or two
        while (held.values().stream().anyMatch(h -> h.owner == this && h.decision != null) && System.nanoTime() < settleBy) {
            drainRound();
        }
        commitNow(); // what is not sent now, closing releases: the broker delivers those records again
    }

    /** One poll while stopping: acknowledges what is decided, renews what still runs, releases what is new. */
    private void drainRound() throws InterruptedException {
        unsent = false;
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
            Held h = held.get(key(r));
            if (h != null) {
                h.owner = this;
                unacknowledged.add(r);
            } else {
                consumer.acknowledge(r, AcknowledgeType.RELEASE);
                unsent = true;
            }
        }
        decided.poll(20, TimeUnit.MILLISECONDS);
        acknowledgeDecided();
        renewTheRest();
    }

    private boolean undecided() {
        return held.values().stream().anyMatch(h -> h.owner == this && h.decision == null && !h.lost);
    }

    private boolean holdsAny() {
        return held.values().stream().anyMatch(h -> h.owner == this);
    }

    /** Asks the member to stop: it drains (see {@link #drain}) until {@code drainBy} (System.nanoTime), then closes its consumer. */
    void stop(long drainBy) {
        this.drainBy = drainBy;
        stopping = true;
    }

    boolean awaitStopped(long millis) throws InterruptedException {
        return stopped.await(millis, TimeUnit.MILLISECONDS);
    }
}
