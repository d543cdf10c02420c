package io.fanout.coordinator.loop;

import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.deadletter.LetterRecords;
import io.fanout.coordinator.deadletter.PartitionSweeper;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.outbox.Reconciler;
import io.fanout.coordinator.retention.PartitionRetention;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the loop does between batches for the partitions it owns, at most every
 * {@value #INTERVAL_MILLIS} ms: fails jobs past their deadline, dispatches retries that are due and
 * waiting tasks there is room for, moves workflow runs on from the node jobs that ended, settles the outbox rows whose records the brokers have,
 * re-drives what the outbox still owes (at once for partitions just taken over, then every
 * reconcile interval), along with reduces whose feed never finished, and deletes the expired jobs,
 * tasks, workflow runs and dead letters of its partitions, and sweeps their dead letters. Each step is a transaction
 * that writes its decisions and what they owe Kafka together, then sends; nothing is lost between
 * the two, because whatever the outbox still holds is sent again.
 */
final class Housekeeping {

    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
    static final long INTERVAL_MILLIS = 100;
    private static final int MAX_RETRIES_PER_ROUND = 1000;
    private static final long OPEN_JOBS_COUNT_MILLIS = 5_000;

    private final LoopConnection tx;
    private final Database db;
    private final BatchProcessor processor;
    private final PartitionOwnership ownership;
    private final CoordinatorLoop.Outputs out;
    private final InFlightBatches inFlight;
    private final Reconciler reconciler;
    private final PartitionRetention retention;
    /** Null when this coordinator does not sweep. */
    private final PartitionSweeper sweeper;
    private final Counter sweeps;
    private final Clock clock;
    private final Duration reconcileInterval;
    private final Counter dispatchedFirst;
    private final Counter dispatchedRetries;
    private final Counter reconciled;
    private final Counter pastDeadline;
    private final Counter failedJobs;
    private volatile double outboxOldestAge;
    private final Map<JobState, AtomicLong> openJobs = new HashMap<>();
    /** Partitions taken over whose outbox has not been reconciled yet (the rebalance listener adds, the loop drains). */
    private final Set<Integer> takenOver = new TreeSet<>();
    private long next;
    private boolean jobsEnded;
    private long nextReconcile;
    private long nextOpenJobsCount;

    Housekeeping(LoopConnection tx, Database db, BatchProcessor processor, PartitionOwnership ownership, CoordinatorLoop.Outputs out,
                 InFlightBatches inFlight, FanoutMeters meters, CoordinatorConfig config) {
        this.tx = tx;
        this.db = db;
        this.processor = processor;
        this.ownership = ownership;
        this.out = out;
        this.inFlight = inFlight;
        this.reconciler = new Reconciler(out.outbox(), processor.jobs(), processor.tasks(), out.effects(), new LetterRecords(config.topics()));
        this.sweeper = config.sweeper().enabled()
                ? new PartitionSweeper(config.sweeper(), processor.letters(), config.topics(), config.coordinatorId(), config.clock().millis()) : null;
        this.sweeps = meters.sweeperRuns();
        this.clock = config.clock();
        this.reconcileInterval = config.reconcileInterval();
        this.retention = new PartitionRetention(config.retention(), meters, clock.millis());
        this.dispatchedFirst = meters.tasksDispatched("first");
        this.dispatchedRetries = meters.tasksDispatched("retry");
        this.reconciled = meters.outboxReconciled();
        this.pastDeadline = meters.jobsPastDeadline();
        this.failedJobs = meters.jobsFinished(JobState.FAILED.name());
        meters.outboxOldestAge(() -> outboxOldestAge);
        for (JobState state : List.of(JobState.RUNNING, JobState.REDUCING)) {
            AtomicLong count = new AtomicLong();
            openJobs.put(state, count);
            meters.jobsOpen(state.name(), count::get);
        }
    }

    boolean due() {
        return clock.millis() >= next;
    }

    /** A batch ended jobs: some may be workflow nodes, whose runs are moved on at once rather than at the next round. */
    void jobsEnded() {
        jobsEnded = true;
    }

    /** Partitions just taken over: what their former owner left owed is re-driven at the next round. */
    void takenOver(Collection<Integer> partitions) {
        takenOver.addAll(partitions);
    }

    void forget(Collection<Integer> partitions) {
        takenOver.removeAll(partitions);
    }

    /**
     * One round, if one is due. {@code caughtUp}: the status partitions read to their end (a partition
     * taken over is reconciled only then, so that tasks whose reports wait in the backlog are not sent
     * again). Throws what failed; nothing is lost by a failed round, the next finds it all again in the
     * database.
     */
    void run(List<Integer> owned, Set<Integer> caughtUp) throws Exception {
        if (!due()) {
            if (jobsEnded && !owned.isEmpty()) {
                jobsEnded = false;
                advanceWorkflows(owned); // a node's next nodes start now, not at the next round
            }
            return;
        }
        next = clock.millis() + INTERVAL_MILLIS;
        jobsEnded = false;
        if (owned.isEmpty()) {
            outboxOldestAge = 0; // nothing of this coordinator's is owed
            return;
        }
        expireDeadlines(owned);
        dispatchDueRetries(owned);
        dispatchWaiting(owned);
        advanceWorkflows(owned);
        reconcile(owned, caughtUp);
        retain(owned);
        sweep(owned);
        countOpenJobs(owned);
    }

    /** Parks and replays the dead letters of the owned partitions the sweeper's policy picks, when a sweep is due. */
    private void sweep(List<Integer> owned) throws Exception {
        if (sweeper == null || !sweeper.due(clock.millis())) {
            return;
        }
        List<LetterActions.Step> steps = new ArrayList<>();
        List<Long> ids = tx.inTransaction(c -> {
            steps.clear();
            steps.addAll(sweeper.sweep(c, owned));
            Owed owed = new Owed();
            for (LetterActions.Step s : steps) {
                if (s.task() != null) {
                    owed.task(s.task().job().ownerPartition(), s.task().task().jobId(), s.task().task().taskId());
                }
                if (s.send() != null) {
                    owed.letterSend(s.send().ownerPartition(), s.send().letterId());
                }
            }
            List<Long> recorded = out.outbox().record(c, owed);
            ownership.check(c, owned);
            return recorded;
        });
        sweeper.swept(clock.millis());
        sweeps.increment();
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (LetterActions.Step s : steps) {
            if (s.task() != null) {
                sends.add(out.effects().tasks().publish(s.task()));
            }
            if (s.send() != null) {
                sends.add(out.effects().deadLetters().send(s.send().record()));
            }
        }
        send(sends, ids);
        long done = steps.stream().filter(s -> s.result().done()).count();
        if (!steps.isEmpty()) {
            log.info("sweeper: {} of {} dead letters of partitions {} replayed or parked", done, steps.size(), owned);
        }
    }

    /** Deletes a batch of the expired jobs, tasks and workflow runs of the owned partitions, when retention is due. */
    private void retain(List<Integer> owned) throws Exception {
        if (!retention.due(clock.millis())) {
            return;
        }
        boolean more = tx.inTransaction(c -> {
            boolean full = retention.deleteBatch(c, owned);
            ownership.check(c, owned);
            return full;
        });
        retention.scheduled(clock.millis(), more);
    }

    private void expireDeadlines(List<Integer> owned) throws Exception {
        Owed owed = new Owed();
        List<JobStore.Expired> expired = new ArrayList<>();
        List<Long> ids = tx.inTransaction(c -> {
            expired.addAll(processor.jobs().expire(c, owned, clock.instant()));
            if (expired.isEmpty()) {
                return List.of();
            }
            processor.tasks().cancelUnfinished(c, expired.stream().map(x -> x.job().jobId()).toList());
            expired.forEach(e -> owed.finalEvent(e.job().ownerPartition(), e.job().jobId()));
            List<Long> recorded = out.outbox().record(c, owed);
            ownership.check(c, owned);
            return recorded;
        });
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (JobStore.Expired e : expired) {
            JobRow job = e.job();
            log.info("job {} FAILED: {}", job.jobId(), e.error());
            pastDeadline.increment();
            failedJobs.increment();
            sends.add(out.effects().events().publish(new JobEvent(JobEvent.Type.FAILED, job.jobId(), job.key(), job.processor(), JobState.FAILED,
                    job.counts(), null, e.error(), null, null, clock.instant().toString())));
        }
        send(sends, ids);
    }

    /** Marks the attempts whose backoff has passed dispatched (as far as their jobs' parallelism allows), then sends them. */
    private void dispatchDueRetries(List<Integer> owned) throws Exception {
        List<TaskDispatch> due = new ArrayList<>();
        List<Long> ids = tx.inTransaction(c -> {
            Map<UUID, Long> budgets = new HashMap<>();
            for (TaskDispatch d : processor.retries().due(c, owned, clock.instant(), MAX_RETRIES_PER_ROUND)) {
                long budget = budgets.computeIfAbsent(d.job().jobId(), id -> d.job().dispatchBudget());
                budgets.put(d.job().jobId(), budget - 1);
                if (budget > 0) { // a job at its parallelism retries when a slot frees
                    due.add(d);
                }
            }
            if (due.isEmpty()) {
                return List.of();
            }
            processor.retries().markDispatched(c, due);
            List<Long> recorded = out.outbox().record(c, owedTasks(due));
            ownership.check(c, owned);
            return recorded;
        });
        sendTasks(due, ids);
        dispatchedRetries.increment(due.size());
        if (!due.isEmpty()) {
            log.info("dispatched {} retries", due.size());
        }
    }

    /** With a dispatch window: sends the waiting tasks there is room for, when no batch did. */
    private void dispatchWaiting(List<Integer> owned) throws Exception {
        if (!processor.window().enabled()) {
            return;
        }
        List<TaskDispatch> released = new ArrayList<>();
        List<Long> ids = tx.inTransaction(c -> {
            released.addAll(processor.window().release(c, owned));
            List<Long> recorded = out.outbox().record(c, owedTasks(released));
            ownership.check(c, owned);
            return recorded;
        });
        sendTasks(released, ids);
        dispatchedFirst.increment(released.size());
    }

    /** Moves on the workflow runs whose node jobs have ended: records the nodes' outcomes and starts the nodes now due, with what they owe Kafka. */
    private void advanceWorkflows(List<Integer> owned) throws Exception {
        AfterCommit after = tx.inTransaction(c -> {
            AfterCommit a = processor.advanceWorkflows(c, owned);
            a.outboxIds = out.outbox().record(c, a.owed());
            ownership.check(c, owned);
            return a;
        });
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        after.tasks.forEach(d -> sends.add(out.effects().tasks().publish(d)));
        after.events.forEach(e -> sends.add(out.effects().events().publish(e)));
        send(sends, after.outboxIds);
        dispatchedFirst.increment(after.tasks.size());
    }

    private static Owed owedTasks(List<TaskDispatch> dispatches) {
        Owed owed = new Owed();
        dispatches.forEach(d -> owed.task(d.job().ownerPartition(), d.task().jobId(), d.task().taskId()));
        return owed;
    }

    private void sendTasks(List<TaskDispatch> dispatches, List<Long> outboxIds) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(dispatches.size());
        dispatches.forEach(d -> sends.add(out.effects().tasks().publish(d)));
        send(sends, outboxIds);
    }

    /** The sends join the batches in flight, so their outbox rows are settled (and offsets committed) in order. */
    private void send(List<Future<RecordMetadata>> sends, List<Long> outboxIds) {
        if (!sends.isEmpty() || !outboxIds.isEmpty()) {
            inFlight.add(InFlightBatches.Batch.ofSends(sends, outboxIds));
        }
    }

    /**
     * Settles the outbox rows whose records are all acknowledged, then re-drives what is still owed:
     * everything of the partitions just taken over, and every reconcile interval what is older than
     * it, besides the rows this process is still sending.
     */
    private void reconcile(List<Integer> owned, Set<Integer> caughtUp) throws Exception {
        List<Long> settled = inFlight.drainSettled();
        boolean periodic = clock.millis() >= nextReconcile;
        List<Integer> newlyOwned = takenOver.stream().filter(p -> owned.contains(p) && caughtUp.contains(p)).toList();
        if (settled.isEmpty() && !periodic && newlyOwned.isEmpty()) {
            return;
        }
        try (Connection c = db.connection()) {
            out.outbox().settle(c, settled);
            if (!newlyOwned.isEmpty()) {
                redrive(c, newlyOwned, Duration.ZERO);
                takenOver.removeAll(newlyOwned);
            }
            if (periodic) {
                nextReconcile = clock.millis() + reconcileInterval.toMillis();
                redrive(c, owned, reconcileInterval);
            }
        }
    }

    /** Settles the outbox rows of the batches acknowledged so far (on a handover or a stop, so the next owner does not send them again). */
    void settleAcknowledged() {
        List<Long> settled = inFlight.drainSettled();
        if (settled.isEmpty()) {
            return;
        }
        try (Connection c = db.connection()) {
            out.outbox().settle(c, settled);
        } catch (Exception e) {
            log.warn("could not settle {} outbox rows whose records were sent; their next owner sends them again: {}", settled.size(), e.toString());
        }
    }

    /** Re-drives every owed row of these partitions (rows that fail are left for the next round), then stalled reduce feeds. */
    private void redrive(Connection c, List<Integer> partitions, Duration minAge) throws Exception {
        Set<Long> skip = new HashSet<>(inFlight.outboxIdsInHand());
        Reconciler.Pass pass;
        do {
            pass = reconciler.reconcile(c, partitions, minAge, skip);
            reconciled.increment(pass.settled());
            skip.addAll(pass.failed());
        } while (pass.rows() == Reconciler.ROWS_PER_PASS && !pass.stalled());
        out.reduces().resumeStalled(c, partitions);
    }

    /** Refreshes the open-jobs and outbox-age gauges every few seconds. */
    private void countOpenJobs(List<Integer> owned) throws Exception {
        if (clock.millis() < nextOpenJobsCount) {
            return;
        }
        nextOpenJobsCount = clock.millis() + OPEN_JOBS_COUNT_MILLIS;
        Map<JobState, Long> counts = tx.inTransaction(c -> processor.jobs().countOpen(c, owned));
        openJobs.forEach((state, gauge) -> gauge.set(counts.getOrDefault(state, 0L)));
        outboxOldestAge = tx.inTransaction(c -> out.outbox().oldestAgeSeconds(c, owned));
    }
}
