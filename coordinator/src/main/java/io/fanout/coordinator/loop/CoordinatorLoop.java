package io.fanout.coordinator.loop;

import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.dispatch.DeadLetterPublisher;
import io.fanout.coordinator.dispatch.JobEventPublisher;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.dispatch.TaskPublisher;
import io.fanout.coordinator.reduce.ReduceFeeder;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.metrics.FanoutMeters;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's run loop, the one place where records become state: poll the jobs and status
 * topics, apply the batch in one PostgreSQL transaction, then dispatch tasks and emit events, and
 * only then commit the consumer offsets. A batch that fails is rewound and applied again, which is
 * safe because every step is idempotent; a transaction that fails because PostgreSQL is briefly
 * unavailable is first retried in place. Between batches the loop re-dispatches retries that are
 * due, fails jobs past their deadline, and turns tasks whose executor went silent into failures.
 */
public final class CoordinatorLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int MAX_TRACKED_PROGRESS = 10_000;
    private static final long HOUSEKEEPING_MILLIS = 100;
    private static final int MAX_RETRIES_PER_ROUND = 1000;
    /** Failures of one batch, for a reason other than the database being away, before its records are applied one by one. */
    private static final int ISOLATE_AFTER = 3;
    private static final long OPEN_JOBS_COUNT_MILLIS = 5_000;

    private final Consumer<byte[], byte[]> consumer;
    private final Database db;
    private final BatchProcessor processor;
    private final TaskStore tasks;
    private final JobStore jobs;
    private final TaskPublisher taskPublisher;
    private final JobEventPublisher eventPublisher;
    private final DeadLetterPublisher deadLetterPublisher;
    private final ReduceFeeder feeder;
    private final TaskLiveness liveness;
    private final Duration taskLostAfter;
    private final String coordinatorId;
    private final Retry dbRetry = DatabaseRetry.create("coordinator-batch");
    private final Retry claimRetry = DatabaseRetry.create("partition-claim", Integer.MAX_VALUE);
    private final PartitionOwnership ownership;
    private final FanoutMeters meters;
    private final DistributionSummary batchSize;
    private final Timer batchLatency;
    private final Counter dispatchedFirst;
    private final Counter dispatchedRetries;
    private final Counter retries;
    private final Counter lostTasks;
    private final Map<String, AtomicLong> openJobs = new HashMap<>();
    private long nextOpenJobsCount;
    private long nextHousekeeping;
    private final TopicNames topics;
    private final Duration progressInterval;
    private final Clock clock;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<UUID, Long> lastProgress = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
            return size() > MAX_TRACKED_PROGRESS;
        }
    };
    private final InFlightBatches inFlight = new InFlightBatches();
    private volatile boolean running = true;
    private Connection conn;

    public CoordinatorLoop(Consumer<byte[], byte[]> consumer, Database db, BatchProcessor processor, Outputs outputs, PartitionOwnership ownership,
                           FanoutMeters meters, CoordinatorConfig config) {
        this.ownership = ownership;
        this.meters = meters;
        this.batchSize = meters.batchSize();
        this.batchLatency = meters.batchLatency();
        this.dispatchedFirst = meters.tasksDispatched("first");
        this.dispatchedRetries = meters.tasksDispatched("retry");
        this.retries = meters.retries();
        this.lostTasks = meters.tasksLost();
        meters.partitionsOwned(() -> ownership.owned().size());
        meters.databaseRetries("coordinator-batch", () -> dbRetry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt(),
                () -> dbRetry.getMetrics().getNumberOfFailedCallsWithRetryAttempt());
        for (JobState state : List.of(JobState.RUNNING, JobState.REDUCING)) {
            AtomicLong count = new AtomicLong();
            openJobs.put(state.name(), count);
            meters.jobsOpen(state.name(), count::get);
        }
        this.consumer = consumer;
        this.db = db;
        this.processor = processor;
        this.jobs = processor.jobs();
        this.tasks = processor.tasks();
        this.taskPublisher = outputs.tasks();
        this.eventPublisher = outputs.events();
        this.deadLetterPublisher = outputs.deadLetters();
        this.feeder = outputs.reduces();
        this.liveness = processor.liveness();
        this.taskLostAfter = config.taskLostAfter();
        this.coordinatorId = config.coordinatorId();
        this.topics = config.topics();
        this.progressInterval = config.progressInterval();
        this.clock = config.clock();
    }

    /** Where the loop's effects go after each commit. */
    public record Outputs(TaskPublisher tasks, JobEventPublisher events, DeadLetterPublisher deadLetters, ReduceFeeder reduces) {
    }

    @Override
    public void run() {
        int failures = 0;
        try {
            consumer.subscribe(List.of(topics.jobs(), topics.status()), new Recovery());
            while (running) {
                List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
                consumer.poll(POLL).forEach(records::add);
                try {
                    List<StatusBatch> lost = housekeepingDue() ? liveness.lost(clock.millis(), taskLostAfter) : List.of();
                    if (!records.isEmpty() || !lost.isEmpty()) {
                        handle(records, lost);
                        liveness.settled(lost);
                    }
                    housekeeping();
                    commitAcknowledged(false);
                    failures = 0;
                } catch (WakeupException e) {
                    throw e;
                } catch (PartitionOwnership.LostException e) {
                    giveUp(e);
                    rewind(records);
                } catch (InFlightBatches.SendFailedException e) {
                    failures++;
                    log.error("coordinator could not dispatch a batch (attempt {}); applying it again from {}", failures, e.rewindTo, e);
                    e.rewindTo.forEach((tp, offset) -> seekIfOwned(tp, offset));
                    sleep(backoff(failures));
                } catch (Exception e) {
                    failures++;
                    closeConnection();
                    if (!DatabaseRetry.isTransient(e) && failures >= ISOLATE_AFTER) {
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
        } catch (RuntimeException e) {
            log.error("coordinator loop stopped by an unexpected error", e);
        } finally {
            try {
                commitAcknowledged(true);
            } catch (Exception e) {
                log.warn("final offset commit failed: {}", e.getMessage());
            }
            consumer.close();
            closeConnection();
            stopped.countDown();
        }
    }

    /**
     * A batch that keeps failing for a reason other than an unavailable database holds a record
     * the database rejects. Applied one at a time, every other record goes through, and the ones
     * that fail on their own go to the dead-letter topic with the error, so no partition is
     * blocked for good. A record that fails because the database went away is left for the
     * normal retry.
     */
    private void isolate(List<ConsumerRecord<byte[], byte[]>> records) {
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            try {
                handle(List.of(r), List.of());
            } catch (Exception e) {
                closeConnection();
                if (DatabaseRetry.isTransient(e) || e instanceof InFlightBatches.SendFailedException) {
                    rewind(records.subList(i, records.size()));
                    return;
                }
                log.error("record {}-{}@{} cannot be applied and goes to the dead-letter topic", r.topic(), r.partition(), r.offset(), e);
                meters.deadLetters("POISON").increment();
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                inFlight.add(new InFlightBatches.Batch(List.of(deadLetterPublisher.publishUnreadable(r, e, coordinatorId)), Map.of(tp, r.offset()),
                        Map.of(tp, new OffsetAndMetadata(r.offset() + 1))));
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
        List<Future<RecordMetadata>> sends = new ArrayList<>(after.tasks.size() + after.events.size());
        for (TaskDispatch d : after.tasks) {
            sends.add(taskPublisher.publish(d));
        }
        for (NewDeadLetter letter : after.deadLetters) {
            log.warn("job {}: task {} ({}) dead-lettered after {} attempts ({}): {}: {}", letter.job().jobId(), letter.task().taskId(),
                    letter.task().taskName(), letter.attempt() + 1, letter.reason(), letter.failure().errorClass(), letter.failure().message());
            sends.add(deadLetterPublisher.publish(letter));
            meters.deadLetters(letter.reason()).increment();
        }
        for (AfterCommit.Unreadable u : after.unreadable) {
            meters.deadLetters("POISON").increment();
            sends.add(deadLetterPublisher.publishUnreadable(u.record(), u.why(), coordinatorId));
        }
        for (JobEvent event : after.events) {
            sends.add(eventPublisher.publish(event));
            if (event.isFinal()) {
                lastProgress.remove(event.jobId());
            }
        }
        emitProgress(after.progressed, sends);
        after.reduces.forEach(feeder::submit);
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            first.merge(tp, r.offset(), Math::min);
            next.merge(tp, new OffsetAndMetadata(r.offset() + 1), (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        inFlight.add(new InFlightBatches.Batch(sends, first, next));
    }

    /** Work done in one transaction of the loop's connection. */
    private interface InTransaction<T> {
        T run(Connection c) throws Exception;
    }

    /** Runs {@code work} and commits; on any failure rolls back and replaces the connection. */
    private <T> T inTransaction(InTransaction<T> work) throws Exception {
        Connection c = connection();
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (Exception e) {
            rollbackQuietly(c);
            closeConnection();
            throw e;
        }
    }

    /** Sends the tasks and waits until the brokers have acknowledged every one. */
    private void sendAll(List<TaskDispatch> dispatches) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>(dispatches.size());
        dispatches.forEach(d -> sent.add(taskPublisher.publish(d)));
        for (Future<RecordMetadata> f : sent) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    /** One transaction: the batch applied, or nothing (the connection is replaced after a failure). */
    private AfterCommit apply(List<ConsumerRecord<byte[], byte[]>> jobRecords, List<ConsumerRecord<byte[], byte[]>> statusRecords, List<StatusBatch> lost)
            throws Exception {
        return inTransaction(c -> {
            AfterCommit after = processor.process(c, jobRecords, statusRecords, lost, ownership.owned());
            ownership.check(c, ownership.owned());
            return after;
        });
    }

    private boolean housekeepingDue() {
        return clock.millis() >= nextHousekeeping;
    }

    /** Deadlines and due retries of the jobs this coordinator owns, at most every {@value #HOUSEKEEPING_MILLIS} ms. */
    private void housekeeping() {
        if (!housekeepingDue()) {
            return;
        }
        nextHousekeeping = clock.millis() + HOUSEKEEPING_MILLIS;
        List<Integer> owned = ownedPartitions();
        if (owned.isEmpty()) {
            return;
        }
        try {
            expireDeadlines(owned);
            dispatchDueRetries(owned);
            dispatchWaiting(owned);
            countOpenJobs(owned);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (PartitionOwnership.LostException e) {
            giveUp(e);
        } catch (Exception e) {
            // Nothing is lost: deadlines and due retries are found again from the database next time.
            log.warn("coordinator housekeeping failed, trying again in {} ms: {}", HOUSEKEEPING_MILLIS, e.toString());
            closeConnection();
        }
    }

    /** With a dispatch window: sends the waiting tasks there is room for, when no batch did. */
    private void dispatchWaiting(List<Integer> owned) throws Exception {
        if (!processor.window().enabled()) {
            return;
        }
        int released = inTransaction(c -> {
            List<TaskDispatch> room = processor.window().release(c, owned);
            sendAll(room); // committed only once the brokers have them
            ownership.check(c, owned);
            return room.size();
        });
        dispatchedFirst.increment(released);
    }

    /** Refreshes the open-jobs gauges every few seconds. */
    private void countOpenJobs(List<Integer> owned) throws Exception {
        if (clock.millis() < nextOpenJobsCount) {
            return;
        }
        nextOpenJobsCount = clock.millis() + OPEN_JOBS_COUNT_MILLIS;
        Map<JobState, Long> counts = inTransaction(c -> jobs.countOpen(c, owned));
        openJobs.forEach((state, gauge) -> gauge.set(counts.getOrDefault(JobState.valueOf(state), 0L)));
    }

    private void expireDeadlines(List<Integer> owned) throws Exception {
        List<JobStore.Expired> expired = inTransaction(c -> {
            List<JobStore.Expired> e = jobs.expire(c, owned, clock.instant());
            if (!e.isEmpty()) {
                tasks.cancelUnfinished(c, e.stream().map(x -> x.job().jobId()).toList());
                ownership.check(c, owned);
            }
            return e;
        });
        for (JobStore.Expired e : expired) {
            JobRow job = e.job();
            log.info("job {} FAILED: {}", job.jobId(), e.error());
            lastProgress.remove(job.jobId());
            eventPublisher.publish(new JobEvent(JobEvent.Type.FAILED, job.jobId(), job.key(), job.processor(), JobState.FAILED, job.counts(), null,
                    e.error(), null, null, clock.instant().toString()));
        }
    }

    /**
     * Sends the attempts whose backoff has passed, then marks them dispatched. A crash in between
     * sends them again later: the same attempt twice, whose second report changes nothing.
     */
    private void dispatchDueRetries(List<Integer> owned) throws Exception {
        List<TaskDispatch> found = inTransaction(c -> tasks.dueRetries(c, owned, clock.instant(), MAX_RETRIES_PER_ROUND));
        Map<UUID, Long> budgets = new HashMap<>();
        List<TaskDispatch> due = found.stream().filter(d -> {
            long budget = budgets.computeIfAbsent(d.job().jobId(), id -> d.job().dispatchBudget());
            budgets.put(d.job().jobId(), budget - 1);
            return budget > 0; // a job at its parallelism retries when a slot frees
        }).toList();
        if (due.isEmpty()) {
            return;
        }
        sendAll(due);
        inTransaction(c -> {
            tasks.markDispatched(c, due);
            ownership.check(c, owned);
            return null;
        });
        dispatchedRetries.increment(due.size());
        log.info("dispatched {} retries", due.size());
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

    /** Commits the offsets of the batches whose records the brokers have acknowledged (with {@code wait}: of all of them). */
    private void commitAcknowledged(boolean wait) throws InFlightBatches.SendFailedException, InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> offsets = inFlight.acknowledged(wait);
        offsets.keySet().retainAll(consumer.assignment());
        if (offsets.isEmpty()) {
            return;
        }
        if (wait) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, null);
        }
    }

    private void emitProgress(List<JobRow> progressed, List<Future<RecordMetadata>> sends) {
        long now = clock.millis();
        for (JobRow job : progressed) {
            Long last = lastProgress.get(job.jobId());
            if (last == null || now - last >= progressInterval.toMillis()) {
                lastProgress.put(job.jobId(), now);
                sends.add(eventPublisher.publish(new JobEvent(JobEvent.Type.PROGRESS, job.jobId(), job.key(), job.processor(), job.state(),
                        job.counts(), null, null, null, null, clock.instant().toString())));
            }
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

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = db.connection();
            conn.setAutoCommit(false);
            tasks.prepare(conn);
            conn.commit();
        }
        return conn;
    }

    private void closeConnection() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // the connection is being discarded
            }
            conn = null;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is replaced after a failure anyway
        }
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

    /** On getting partitions, resumes the reduces of their jobs that may have been interrupted. */
    private final class Recovery implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            List<Integer> owned = partitions.stream().filter(tp -> tp.topic().equals(topics.jobs())).map(TopicPartition::partition).toList();
            if (owned.isEmpty()) {
                return;
            }
            try {
                claimRetry.executeCheckedSupplier(() -> {
                    try (Connection c = db.connection()) {
                        ownership.claim(c, owned);
                    }
                    return null;
                });
            } catch (Throwable e) {
                throw new IllegalStateException("could not claim partitions " + owned + " in PostgreSQL", e);
            }
            log.info("coordinator {} owns job partitions {}", ownership.owner(), owned);
            try (Connection c = db.connection()) {
                for (JobRow job : jobs.reducing(c, owned)) {
                    log.info("job {} was waiting for its reduce: resuming it", job.jobId());
                    feeder.submit(job);
                }
                liveness.seed(tasks.held(c, owned), clock.millis());
            } catch (SQLException e) {
                log.error("could not look up interrupted reduces for partitions {}", owned, e);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            List<Integer> given = partitions.stream().filter(tp -> tp.topic().equals(topics.jobs())).map(TopicPartition::partition).toList();
            liveness.forget(given);
            // Hand over only what is applied and dispatched: wait for the batches in flight.
            try {
                commitAcknowledged(true);
            } catch (InFlightBatches.SendFailedException e) {
                log.error("records of a batch were not acknowledged before a rebalance; the new owner applies it again", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ownership.release(given);
        }
    }
}
