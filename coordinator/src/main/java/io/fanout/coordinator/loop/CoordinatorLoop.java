package io.fanout.coordinator.loop;

import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.pools.PoolWatch;
import io.fanout.coordinator.reduce.ReduceFeeder;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's run loop, the one place where records become state: poll the jobs and status
 * topics, apply the batch in a PostgreSQL transaction that also records in the outbox what the
 * batch owes Kafka (a large batch's task rows in parts on several connections at once, see
 * {@link BatchProcessor#process}), then dispatch tasks and emit events, and only then commit the
 * consumer offsets.
 * A batch that fails is rewound and applied again, which is safe because every step is idempotent;
 * a transaction that fails because PostgreSQL is briefly unavailable is first retried in place.
 * Between batches, {@link Housekeeping} does the time-driven work and re-drives what the outbox
 * still owes, and the loop turns tasks whose executor went silent into failures.
 */
public final class CoordinatorLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);
    static final long COMMIT_EVERY_NANOS = 200_000_000;
    /** Failures of one batch, for a reason that may belong to one of its records, before its records are applied one by one. */
    private static final int ISOLATE_AFTER = 3;
    /** A gap between two polls longer than this is a stall of the coordinator's own (GC, a stopped process, database retries). */
    private static final long STALL_MILLIS = 1_000;

    private final Consumer<byte[], byte[]> consumer;
    private final BatchProcessor processor;
    private final Outputs out;
    private final TaskLiveness liveness;
    private final Duration taskLostAfter;
    private final String coordinatorId;
    private final Retry dbRetry = DatabaseRetry.create("coordinator-batch");
    private final PartitionOwnership ownership;
    private final FanoutMeters meters;
    private final DistributionSummary batchSize;
    private final Timer batchLatency;
    private final Counter dispatchedFirst;
    private final Counter retries;
    private final Counter lostTasks;
    private final Counter batchFailures;
    private final TopicNames topics;
    private final ProcessHealth health;
    private final Clock clock;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final InFlightBatches inFlight = new InFlightBatches();
    private final LoopConnection tx;
    private final ParallelParts parts;
    private final Housekeeping housekeeping;
    private final BatchSends batchSends;
    private final Takeover takeover;
    private volatile boolean running = true;
    private long lastWatched;
    /** Offsets of acknowledged batches not committed yet, and when the loop last committed. */
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    private long lastCommitNanos = System.nanoTime() - COMMIT_EVERY_NANOS;

    public CoordinatorLoop(Consumer<byte[], byte[]> consumer, Database db, BatchProcessor processor, Outputs outputs, PartitionOwnership ownership,
                           FanoutMeters meters, CoordinatorConfig config) {
        this.ownership = ownership;
        this.meters = meters;
        this.batchSize = meters.batchSize();
        this.batchLatency = meters.batchLatency();
        this.dispatchedFirst = meters.tasksDispatched("first");
        this.retries = meters.retries();
        this.lostTasks = meters.tasksLost();
        this.batchFailures = meters.batchFailures();
        meters.partitionsOwned(() -> ownership.owned().size());
        meters.databaseRetries("coordinator-batch", () -> dbRetry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt(),
                () -> dbRetry.getMetrics().getNumberOfFailedCallsWithRetryAttempt());
        this.consumer = consumer;
        this.processor = processor;
        this.out = outputs;
        this.liveness = processor.liveness();
        this.taskLostAfter = config.taskLostAfter();
        this.coordinatorId = config.coordinatorId();
        this.topics = config.topics();
        this.health = config.health();
        this.clock = config.clock();
        this.tx = new LoopConnection(db, processor.tasks());
        this.parts = new ParallelParts(db, processor.tasks(), outputs.outbox(), ownership, config.applyConnections(), meters.batchParts());
        this.batchSends = new BatchSends(outputs.effects(), meters, config.coordinatorId(), config.progressInterval(), config.clock());
        this.housekeeping = new Housekeeping(tx, db, processor, ownership, outputs, inFlight, meters, config);
        this.takeover = new Takeover(db, ownership, processor, housekeeping, topics, clock, () -> {
            commitAcknowledged(true);
            housekeeping.settleAcknowledged();
        });
    }

    /** Where the loop's effects go after each commit, the outbox that records them until they are there, and the pools as Kafka sees them. */
    public record Outputs(Effects effects, ReduceFeeder reduces, Outbox outbox, PoolWatch pools) {
    }

    @Override
    public void run() {
        int failures = 0;
        List<StatusBatch> lost = List.of();
        lastWatched = clock.millis();
        try {
            consumer.subscribe(List.of(topics.jobs(), topics.status()), takeover);
            while (running) {
                List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
                consumer.poll(POLL).forEach(records::add);
                discountStall();
                try {
                    if (!records.isEmpty() || !lost.isEmpty()) {
                        handle(records, lost);
                        liveness.settled(lost);
                        lost = List.of();
                    }
                    boolean due = housekeeping.due();
                    housekeeping();
                    if (due) {
                        discountStall();
                        lost = liveness.lost(clock.millis(), taskLostAfter, caughtUpPartitions());
                    }
                    commitAcknowledged(false);
                    failures = 0;
                } catch (WakeupException e) {
                    throw e;
                } catch (PartitionOwnership.LostException e) {
                    giveUp(e);
                    rewind(records);
                } catch (InFlightBatches.SendFailedException e) {
                    failures++;
                    log.error("coordinator could not dispatch a batch (attempt {}); applying it again from {}, and the outbox re-sends what it owes",
                            failures, e.rewindTo, e);
                    e.rewindTo.forEach(this::seekIfOwned);
                    sleep(backoff(failures));
                } catch (Exception e) {
                    failures++;
                    batchFailures.increment();
                    tx.close();
                    if (!DatabaseRetry.isTransient(e) && DatabaseRetry.isRecordSpecific(e) && failures >= ISOLATE_AFTER) {
                        log.error("coordinator batch of {} records failed {} times; applying its records one by one", records.size(), failures, e);
                        isolate(records);
                        failures = 0;
                        continue;
                    }
                    log.error("coordinator batch of {} records failed (attempt {}); rewinding and retrying in {} ms", records.size(), failures,
                            backoff(failures).toMillis(), e);
                    rewind(records);
                    sleep(backoff(failures));
                }
            }
        } catch (WakeupException e) {
            // stop() woke the poll up
        } catch (Throwable e) {
            log.error("coordinator loop stopped by an unexpected error: the coordinator is unhealthy and must be restarted", e);
            health.failed(Thread.currentThread().getName(), e);
        } finally {
            try {
                commitAcknowledged(true);
                housekeeping.settleAcknowledged();
            } catch (Exception e) {
                log.warn("final offset commit failed: {}", e.getMessage());
            }
            consumer.close();
            tx.close();
            parts.close();
            stopped.countDown();
        }
    }

    /**
     * Time since the loop last looked, beyond what a poll or a batch takes, is a stall of this
     * coordinator's own (a GC pause, a stopped process, database retries): silence meanwhile proves
     * nothing about executors, so it does not count towards a task's loss.
     */
    private void discountStall() {
        long now = clock.millis();
        if (now - lastWatched > STALL_MILLIS) {
            liveness.discount(now - lastWatched - POLL.toMillis());
        }
        lastWatched = now;
    }

    /**
     * The status partitions this coordinator has read to their end: only there can the silence of a
     * task be judged, since every heartbeat sent so far has been seen (a coordinator that fell behind
     * reads its backlog first). Time this coordinator itself stalled is discounted besides, since
     * right after a stall the end it knows of may be stale.
     */
    private Set<Integer> caughtUpPartitions() {
        Set<Integer> caughtUp = new HashSet<>();
        for (TopicPartition tp : consumer.assignment()) {
            if (tp.topic().equals(topics.status())) {
                OptionalLong lag = consumer.currentLag(tp);
                if (lag.isPresent() && lag.getAsLong() == 0) {
                    caughtUp.add(tp.partition());
                }
            }
        }
        return caughtUp;
    }

    /**
     * A batch that keeps failing for a reason that may belong to one of its records is applied one
     * record at a time: every other record goes through, and the ones that fail on their own for a
     * reason of their own go to the dead-letter topic with the error, so no partition is blocked for
     * good. When a record fails because the database is unwell or this coordinator was fenced, no
     * record is to blame: the rest is rewound for the normal retry.
     */
    private void isolate(List<ConsumerRecord<byte[], byte[]>> records) {
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            try {
                handle(List.of(r), List.of());
            } catch (PartitionOwnership.LostException e) {
                giveUp(e);
                rewind(records.subList(i, records.size()));
                return;
            } catch (Exception e) {
                tx.close();
                if (DatabaseRetry.isTransient(e) || !DatabaseRetry.isRecordSpecific(e) || e instanceof InFlightBatches.SendFailedException) {
                    log.warn("record {}-{}@{} failed for a reason that is not its own ({}); the rest of the batch is retried", r.topic(), r.partition(),
                            r.offset(), e.toString());
                    rewind(records.subList(i, records.size()));
                    return;
                }
                log.error("record {}-{}@{} cannot be applied and goes to the dead-letter topic", r.topic(), r.partition(), r.offset(), e);
                meters.deadLetters("POISON").increment();
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                inFlight.add(new InFlightBatches.Batch(List.of(out.effects().deadLetters().publishUnreadable(r, e, coordinatorId)),
                        Map.of(tp, r.offset()), Map.of(tp, new OffsetAndMetadata(r.offset() + 1)), List.of()));
            }
        }
    }

    private void handle(List<ConsumerRecord<byte[], byte[]>> records, List<StatusBatch> lost) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> jobRecords = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> statusRecords = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            (r.topic().equals(topics.jobs()) ? jobRecords : statusRecords).add(r);
        }
        AfterCommit after;
        long started = System.nanoTime();
        try {
            after = Retry.decorateCheckedSupplier(dbRetry, () -> apply(jobRecords, statusRecords, lost)).get();
        } catch (Exception e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        batchLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        batchSize.record(records.size());
        dispatchedFirst.increment(after.tasks.size());
        retries.increment(after.retries);
        lostTasks.increment(lost.size());
        List<Future<RecordMetadata>> sends = batchSends.send(after);
        after.reduces.forEach(out.reduces()::submit);
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            first.merge(tp, r.offset(), Math::min);
            next.merge(tp, new OffsetAndMetadata(r.offset() + 1), (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        inFlight.add(new InFlightBatches.Batch(sends, first, next, after.outboxIds));
    }

    /**
     * The batch applied and what it owes Kafka recorded in the outbox: in one transaction, or in a
     * few for a large batch (parts committed first, each with its own outbox rows); a failed try is
     * applied again, which is idempotent (the connection is replaced after a failure).
     */
    private AfterCommit apply(List<ConsumerRecord<byte[], byte[]>> jobRecords, List<ConsumerRecord<byte[], byte[]>> statusRecords, List<StatusBatch> lost)
            throws Exception {
        return tx.inTransaction(c -> {
            AfterCommit after = processor.process(c, jobRecords, statusRecords, lost, ownership.owned(), parts);
            after.outboxIds = out.outbox().record(c, after.owed());
            ownership.check(c, ownership.owned());
            return after;
        }).withCommittedParts();
    }

    /** Housekeeping of the partitions this coordinator owns; a failed round is logged and the next finds everything again. */
    private void housekeeping() {
        try {
            housekeeping.run(ownedPartitions(), caughtUpPartitions());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (PartitionOwnership.LostException e) {
            giveUp(e);
        } catch (Exception e) {
            log.warn("coordinator housekeeping failed, trying again in {} ms: {}", Housekeeping.INTERVAL_MILLIS, e.toString());
            tx.close();
        }
    }

    /**
     * Another coordinator owns these partitions now (this one was paused or cut off long enough to
     * be replaced): stop applying them and rejoin the group, whose next assignment settles who owns
     * what (a partition given back to this coordinator is claimed again, with a new epoch).
     */
    private void giveUp(PartitionOwnership.LostException e) {
        log.warn("{}: this coordinator stops applying them (its last transaction was rolled back)", e.getMessage());
        ownership.release(e.partitions());
        liveness.forget(e.partitions());
        housekeeping.forget(e.partitions());
        List<TopicPartition> fenced = new ArrayList<>();
        for (int p : e.partitions()) {
            fenced.add(new TopicPartition(topics.jobs(), p));
            fenced.add(new TopicPartition(topics.status(), p));
        }
        fenced.retainAll(consumer.assignment());
        consumer.pause(fenced);
        consumer.enforceRebalance("partitions claimed by another coordinator");
    }

    private List<Integer> ownedPartitions() {
        return consumer.assignment().stream().filter(tp -> tp.topic().equals(topics.jobs())).map(TopicPartition::partition).toList();
    }

    /**
     * Takes the batches whose records the brokers have acknowledged (with {@code wait}: all of
     * them), which settles their outbox rows and surfaces a failed send at once, and commits their
     * offsets: with {@code wait} at once, else at most every {@link #COMMIT_EVERY_NANOS}. Each commit
     * is a write to the broker's offsets log, and one per batch cost the broker a seventh of its
     * work at a hundred single-task jobs a second; what a crash leaves uncommitted is applied
     * again, which changes nothing.
     */
    private void commitAcknowledged(boolean wait) throws InFlightBatches.SendFailedException, InterruptedException {
        uncommitted.putAll(inFlight.acknowledged(wait)); // batch order: a later offset of a partition replaces an earlier one
        long now = System.nanoTime();
        if (!wait && now - lastCommitNanos < COMMIT_EVERY_NANOS) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncommitted);
        uncommitted.clear();
        offsets.keySet().retainAll(consumer.assignment());
        if (offsets.isEmpty()) {
            return;
        }
        lastCommitNanos = now;
        if (wait) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, null);
        }
    }

    private static Duration backoff(int failures) {
        return Duration.ofMillis(Math.min(10_000, 200L << Math.min(failures, 6)));
    }

    private void seekIfOwned(TopicPartition tp, long offset) {
        if (consumer.assignment().contains(tp)) {
            consumer.seek(tp, offset);
        }
    }

    /** Seeks every partition of these records back to its first one. */
    private void rewind(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        first.forEach(this::seekIfOwned);
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops polling, commits what was applied and leaves the group. */
    public void stop(Duration timeout) throws InterruptedException {
        running = false;
        consumer.wakeup();
        if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("coordinator loop did not stop within {}", timeout);
        }
    }
}
