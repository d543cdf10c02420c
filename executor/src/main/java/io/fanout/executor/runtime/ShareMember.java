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
 * is handed back unrun, REJECT once an unreadable record is dead-lettered. A record this member
 * already holds is never started twice here. A member that dies holds its records until their lock
 * expires; the broker then delivers them to another member.
 */
final class ShareMember implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ShareMember.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** The broker's default acquisition lock, until the first fetch tells the group's own. */
    private static final int DEFAULT_LOCK_MS = 30_000;

    private record Key(TopicPartition tp, long offset) {
    }

    /** A record this member holds: handed out by a poll, and not yet acknowledged for good. */
    private static final class Held {
        /** Its attempt, while it waits or runs here (null for an unreadable record). */
        volatile Attempt attempt;
        /** How it is to be acknowledged, once known (set by any thread). */
        volatile AcknowledgeType decision;
        /** The broker refused an acknowledgement of it: its lock had expired, so it may be running elsewhere too. */
        volatile boolean lost;
    }

    private final ShareConsumer<byte[], byte[]> consumer;
    private final ExecutorConfig config;
    private final Attempts attempts;
    private final PoisonRecords poison;
    private final String name;
    private final Map<Key, Held> held = new ConcurrentHashMap<>();
    /** The records of the last poll not yet acknowledged. Member thread only. */
    private final List<ConsumerRecord<byte[], byte[]>> unacknowledged = new ArrayList<>();
    private final LinkedBlockingQueue<Key> decided = new LinkedBlockingQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    /** Since when (System.nanoTime) this member has held an undecided record without a break; 0 while it holds none. */
    private volatile long undecidedSince;
    private boolean lockLogged;

    ShareMember(ShareConsumer<byte[], byte[]> consumer, String name, ExecutorConfig config, Attempts attempts, PoisonRecords poison) {
        this.consumer = consumer;
        this.name = name;
        this.config = config;
        this.attempts = attempts;
        this.poison = poison;
        // Runs on the member's thread, inside poll or commitSync.
        consumer.setAcknowledgementCommitCallback((offsets, error) -> {
            if (error != null) {
                log.warn("executor {} ({}): acknowledgements refused ({}); those records may be delivered to another member", config.executorId(), name,
                        error.toString());
                offsets.forEach((tip, set) -> set.forEach(o -> {
                    Held h = held.get(new Key(tip.topicPartition(), o));
                    if (h != null) {
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
                if (held.isEmpty() && attempts.waiting() >= config.concurrency()) {
                    decided.poll(10, TimeUnit.MILLISECONDS);
                    continue;
                }
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
        Held known = held.get(key);
        if (known != null) { // renewed (or its lock expired) and delivered here again: already running or decided here
            known.lost = false;
            return;
        }
        Held h = new Held();
        held.put(key, h);
        TaskRecord task;
        try {
            task = WireCodec.decodeTask(r.value());
        } catch (WireFormatException e) {
            log.error("unreadable task record {}@{} goes to the dead-letter topic: {}", key.tp(), r.offset(), e.getMessage());
            poison.deadLetter(r, e, () -> decide(key, AcknowledgeType.REJECT));
            return;
        }
        Attempt attempt = new Attempt(task, key.tp(), r.offset(), r.deliveryCount().map(Short::intValue).orElse(1), r.timestamp());
        h.attempt = attempt;
        attempts.start(attempt);
    }

    private static Key key(ConsumerRecord<byte[], byte[]> r) {
        return new Key(new TopicPartition(r.topic(), r.partition()), r.offset());
    }

    /** Records the decision on an attempt's record if this member holds that attempt; returns whether it does. */
    boolean decide(Attempt attempt, AcknowledgeType decision) {
        Key key = new Key(attempt.tp, attempt.offset);
        Held h = held.get(key);
        if (h == null || h.attempt != attempt) {
            return false;
        }
        decide(key, decision);
        return true;
    }

    private void decide(Key key, AcknowledgeType decision) {
        Held h = held.get(key);
        if (h == null) {
            return;
        }
        if (h.lost) { // not ours to acknowledge any more: the member that has it now settles it
            held.remove(key, h);
            return;
        }
        h.decision = decision;
        decided.add(key);
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
        renewTheRest();
    }

    /** How long this member has held an undecided record, renewals included: while it does, it takes nothing new (0 when it does not). */
    long undecidedNanos() {
        long since = undecidedSince;
        return since == 0 ? 0 : System.nanoTime() - since;
    }

    private void renewTheRest() {
        for (ConsumerRecord<byte[], byte[]> r : unacknowledged) {
            acknowledge(r, AcknowledgeType.RENEW);
        }
        unacknowledged.clear();
    }

    /** Acknowledges the records of the last poll that have a decision; returns how many have none yet. */
    private int acknowledgeDecided() {
        decided.clear();
        unacknowledged.removeIf(r -> acknowledge(r, null));
        return unacknowledged.size();
    }

    /**
     * Acknowledges a record of the last poll with its decision, or else with {@code otherwise}
     * (nothing when null); returns whether it was acknowledged. A record this member no longer
     * holds is released.
     */
    private boolean acknowledge(ConsumerRecord<byte[], byte[]> r, AcknowledgeType otherwise) {
        Key key = key(r);
        Held h = held.get(key);
        AcknowledgeType decision = h == null ? AcknowledgeType.RELEASE : h.decision;
        if (decision != null) {
            consumer.acknowledge(r, decision);
            held.remove(key);
            return true;
        }
        if (otherwise != null) {
            consumer.acknowledge(r, otherwise);
            return true;
        }
        return false;
    }

    /**
     * Graceful stop: take nothing new (what a poll still brings is released at once), let running
     * tasks finish within the grace period and acknowledge them as they do (their renewed records
     * come back through the polls), hand back the rest; closing releases what is not acknowledged.
     */
    private void drain() throws InterruptedException {
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (undecided() && System.nanoTime() < deadline) {
            attempts.stopStarting(); // tasks waiting for a worker go back unrun
            drainRound();
        }
        if (undecided()) {
            log.warn("executor {} ({}): {} tasks still unfinished after {}; handing them back", config.executorId(), name, held.size(),
                    config.shutdownGrace());
            attempts.handBackRunning();
        }
        long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // the decisions of what just finished come back through a poll or two
        while (held.values().stream().anyMatch(h -> h.decision != null) && System.nanoTime() < settleBy) {
            drainRound();
        }
        try {
            consumer.commitSync(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            log.warn("executor {} ({}): acknowledgements not sent on stop ({}); the broker redelivers those records", config.executorId(), name,
                    e.toString());
        }
    }

    /** One poll while stopping: acknowledges what is decided, renews what still runs, releases what is new. */
    private void drainRound() throws InterruptedException {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
            if (held.containsKey(key(r))) {
                unacknowledged.add(r);
            } else {
                consumer.acknowledge(r, AcknowledgeType.RELEASE);
            }
        }
        decided.poll(20, TimeUnit.MILLISECONDS);
        acknowledgeDecided();
        renewTheRest();
    }

    private boolean undecided() {
        return held.values().stream().anyMatch(h -> h.decision == null && !h.lost);
    }

    /** Asks the member to stop: it drains (see {@link #drain}) and closes its consumer. */
    void stop() {
        stopping = true;
    }

    boolean awaitStopped(long millis) throws InterruptedException {
        return stopped.await(millis, TimeUnit.MILLISECONDS);
    }

    int inFlight() {
        return held.size();
    }
}
