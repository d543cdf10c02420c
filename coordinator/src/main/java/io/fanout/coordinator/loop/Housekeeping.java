package io.fanout.coordinator.loop;

import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.deadletter.LetterRecords;
import io.fanout.coordinator.deadletter.PartitionSweeper;
import io.fanout.coordinator.outbox.Reconciler;
import io.fanout.coordinator.retention.PartitionRetention;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskDispatch;
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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the loop does between batches for the partitions it owns, at most every
 * {@value #INTERVAL_MILLIS} ms: fails jobs past their deadline, dispatches retries that are due and
 * waiting tasks there is room for, moves workflow runs on from the node jobs that ended, settles the outbox rows whose records the brokers have,
 * re-drives what the outbox still owes (at once for partitions just taken over, then every
 * reconcile interval), along with reduces whose feed never finished, and deletes the expired jobs,
 * tasks, workflow runs and dead letters of its partitions, and sweeps their dead letters. Each step is a
 * {@link UnitOfWork}: a transaction that writes its decisions and what they owe Kafka together, then
 * sends; nothing is lost between the two, because whatever the outbox still holds is sent again.
 */
final class Housekeeping {

    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
    static final long INTERVAL_MILLIS = 100;
    private static final int MAX_RETRIES_PER_ROUND = 1000;
    private static final long OPEN_JOBS_COUNT_MILLIS = 5_000;

    private final LoopConnection tx;
    private final UnitOfWork work;
    private final Database db;
    private final BatchProcessor processor;
    private final CoordinatorLoop.Outputs out;
    private final InFlightBatches inFlight;
    private final Reconciler reconciler;
    private final PartitionRetention retention;
    /** Null when this coordinator does not sweep. */
    private final PartitionSweeper sweeper;
    private final UnreceivedTasks unreceived;
    private final Counter resent;
    private final Counter sweeps;
    private final Clock clock;
    private final Duration reconcileInterval;
    private final Counter dispatchedFirst;
    private final Counter dispatchedRetries;
    private final Counter reconciled;
    private final Counter pastDeadline;
    private final Counter failedJobs;
    private static final long STEP_WARNING_EVERY_MILLIS = 30_000;
    private final Map<String, Long> stepWarnedUntil = new HashMap<>();
    private final FanoutMeters meters;
    private volatile double outboxOldestAge;
    private final Map<JobState, AtomicLong> openJobs = new HashMap<>();
    /** Partitions taken over whose outbox has not been reconciled yet (the rebalance listener adds, the loop drains). */
    private final Set<Integer> takenOver = new TreeSet<>();
    private long next;
    private long nextReconcile;
    private long nextOpenJobsCount;

    Housekeeping(LoopConnection tx, Database db, BatchProcessor processor, PartitionOwnership ownership, CoordinatorLoop.Outputs out,
                 InFlightBatches inFlight, FanoutMeters meters, CoordinatorConfig config) {
        this.tx = tx;
        this.work = new UnitOfWork(tx, out.outbox(), ownership, inFlight, out.effects());
        this.db = db;
        this.processor = processor;
        this.out = out;
        this.inFlight = inFlight;
        this.reconciler = new Reconciler(out.outbox(), processor.jobs(), processor.tasks(), out.effects(), new LetterRecords(config.topics()));
        this.sweeper = config.sweeper().enabled()
                ? new PartitionSweeper(config.sweeper(), processor.letters(), config.topics(), config.coordinatorId(), config.clock().millis()) : null;
        this.sweeps = meters.sweeperRuns();
        this.unreceived = new UnreceivedTasks(out.pools(), processor.tasks(), config.taskLostAfter());
        this.resent = meters.tasksUnreceived();
        this.clock = config.clock();
        this.reconcileInterval = config.reconcileInterval();
        this.retention = new PartitionRetention(config.retention(), meters, clock.millis());
        this.dispatchedFirst = meters.tasksDispatched("first");
        this.dispatchedRetries = meters.tasksDispatched("retry");
        this.reconciled = meters.outboxReconciled();
        this.pastDeadline = meters.jobsPastDeadline();
        this.failedJobs = meters.jobsFinished(JobState.FAILED.name());
        this.meters = meters;
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
     * again). Each step runs on its own: one that fails is logged and counted, and the others go on
     * (issue S3: a step failing on every round held back all those after it, the reconciler
     * included); nothing is lost by a failed step, the next round finds it all again in the database.
     * A partition lost to another coordinator, the database away, or an interrupt, ends the round.
     */
    void run(List<Integer> owned, Set<Integer> caughtUp) throws Exception {
        if (!due()) {
            return;
        }
        next = clock.millis() + INTERVAL_MILLIS;
        if (owned.isEmpty()) {
            outboxOldestAge = 0; // nothing of this coordinator's is owed
            return;
        }
        step("deadlines", () -> expireDeadlines(owned));
        step("retries", () -> dispatchDueRetries(owned));
        step("dispatch_window", () -> dispatchWaiting(owned));
        step("workflows", () -> advanceWorkflows(owned));
        step("reconcile", () -> reconcile(owned, caughtUp));
        step("unreceived", () -> resendUnreceived(owned, caughtUp));
        step("retention", () -> retain(owned));
        step("sweeper", () -> sweep(owned));
        step("gauges", () -> countOpenJobs(owned));
    }

    private interface Step {
        void run() throws Exception;
    }

    private void step(String name, Step step) throws Exception {
        try {
            step.run();
        } catch (InterruptedException | PartitionOwnership.LostException e) {
            throw e;
        } catch (Exception e) {
            if (DatabaseRetry.isTransient(e)) {
                throw e; // the database is away: every step would wait for it in turn, so the round ends here
            }
            meters.housekeepingFailures(name).increment();
            long now = clock.millis();
            if (now >= stepWarnedUntil.getOrDefault(name, 0L)) { // a step failing every 100 ms is logged every 30 s, not every time
                stepWarnedUntil.put(name, now + STEP_WARNING_EVERY_MILLIS);
                log.warn("housekeeping step {} failed; the other steps go on, and it is tried again at each round "
                        + "(fanout.coordinator.housekeeping.failures counts each failure): {}", name, e.toString());
            }
        }
    }

    /** Sends again the records of tasks no executor will ever receive otherwise (issue S4; see {@link UnreceivedTasks}). */
    private void resendUnreceived(List<Integer> owned, Set<Integer> caughtUp) throws Exception {
        if (!unreceived.due()) {
            return;
        }
        List<Integer> judged = owned.stream().filter(caughtUp::contains).toList();
        List<TaskDispatch> lost = work.run(owned, (c, owing) -> {
            List<TaskDispatch> found = unreceived.lost(c, judged);
            found.forEach(owing::task);
            return found;
        });
        if (!lost.isEmpty()) {
            resent.increment(lost.size());
            log.warn("{} task records were never received (deleted by the task topic's retention, or archived by the share group at their "
                    + "delivery limit), though their pools have nothing left to read: sent again, e.g. task {} of job {}", lost.size(),
                    lost.getFirst().task().taskId(), lost.getFirst().task().jobId());
        }
    }

    /** Parks and replays the dead letters of the owned partitions the sweeper's policy picks, when a sweep is due. */
    private void sweep(List<Integer> owned) throws Exception {
        if (sweeper == null || !sweeper.due(clock.millis())) {
            return;
        }
        List<LetterActions.Step> steps = work.run(owned, (c, owing) -> {
            List<LetterActions.Step> done = sweeper.sweep(c, owned);
            for (LetterActions.Step s : done) {
                if (s.task() != null) {
                    owing.task(s.task());
                }
                if (s.send() != null) {
                    owing.letter(s.send());
                }
            }
            return done;
        });
        sweeper.swept(clock.millis());
        sweeps.increment();
        if (!steps.isEmpty()) {
            log.info("sweeper: {} of {} dead letters of partitions {} replayed or parked", steps.stream().filter(s -> s.result().done()).count(),
                    steps.size(), owned);
        }
    }

    /** Deletes a batch of the expired jobs, tasks and workflow runs of the owned partitions, when retention is due. */
    private void retain(List<Integer> owned) throws Exception {
        if (!retention.due(clock.millis())) {
            return;
        }
        boolean more = work.run(owned, (c, owing) -> retention.deleteBatch(c, owned));
        retention.scheduled(clock.millis(), more);
    }

    /** Fails the jobs past their deadline and cancels their unfinished tasks; their final events are owed. */
    private void expireDeadlines(List<Integer> owned) throws Exception {
        List<JobStore.Expired> expired = work.run(owned, (c, owing) -> {
            List<JobStore.Expired> past = processor.jobs().expire(c, owned, clock.instant());
            if (!past.isEmpty()) {
                processor.tasks().cancelUnfinished(c, past.stream().map(x -> x.job().jobId()).toList());
            }
            for (JobStore.Expired e : past) {
                JobRow job = e.job();
                owing.finalEvent(job, new JobEvent(JobEvent.Type.FAILED, job.jobId(), job.key(), job.processor(), JobState.FAILED, job.counts(), null,
                        e.error(), null, null, clock.instant().toString()));
            }
            return past;
        });
        for (JobStore.Expired e : expired) {
            log.info("job {} FAILED: {}", e.job().jobId(), e.error());
            pastDeadline.increment();
            failedJobs.increment();
        }
    }

    /** Marks the attempts whose backoff has passed dispatched (as far as their jobs' parallelism allows), then sends them. */
    private void dispatchDueRetries(List<Integer> owned) throws Exception {
        int sent = work.run(owned, (c, owing) -> {
            List<TaskDispatch> due = new ArrayList<>();
            Map<UUID, Long> budgets = new HashMap<>();
            for (TaskDispatch d : processor.retries().due(c, owned, clock.instant(), MAX_RETRIES_PER_ROUND)) {
                long budget = budgets.computeIfAbsent(d.job().jobId(), id -> d.job().dispatchBudget());
                budgets.put(d.job().jobId(), budget - 1);
                if (budget > 0) { // a job at its parallelism retries when a slot frees
                    due.add(d);
                }
            }
            if (!due.isEmpty()) {
                processor.retries().markDispatched(c, due);
                due.forEach(owing::task);
            }
            return owing.tasks();
        });
        dispatchedRetries.increment(sent);
        if (sent > 0) {
            log.info("dispatched {} retries", sent);
        }
    }

    /** With a dispatch window: sends the waiting tasks there is room for, when no batch did. */
    private void dispatchWaiting(List<Integer> owned) throws Exception {
        if (!processor.window().enabled()) {
            return;
        }
        int sent = work.run(owned, (c, owing) -> {
            processor.window().release(c, owned).forEach(owing::task);
            return owing.tasks();
        });
        dispatchedFirst.increment(sent);
    }

    /** Moves on the workflow runs whose node jobs have ended: records the nodes' outcomes and starts the nodes now due, with what they owe Kafka. */
    private void advanceWorkflows(List<Integer> owned) throws Exception {
        int sent = work.run(owned, (c, owing) -> {
            owing.add(processor.advanceWorkflows(c, owned));
            return owing.tasks();
        });
        dispatchedFirst.increment(sent);
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
