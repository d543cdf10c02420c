package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs received attempts, each on its own virtual thread, at most {@code concurrency} at once, and
 * reports each outcome exactly once; an attempt's record is settled when its report is
 * acknowledged. Attempts not started when the executor stops or their partition moves are handed
 * back unrun; attempts interrupted by a stop are handed back unreported, never reported failed.
 */
final class Attempts {

    private static final Logger log = LoggerFactory.getLogger(Attempts.class);

    private final ExecutorConfig config;
    private final TaskRunner runner;
    private final StatusReporter reporter;
    private final RecordSettlement settlement;
    private final HeldAttempts held;
    private final ThreadGuard guard;
    private final Watchdog watchdog;
    private final Semaphore slots;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fanout-executor-task-", 0).factory());
    private final Set<Thread> runningTasks = ConcurrentHashMap.newKeySet();
    private final Set<Thread> waitingTasks = ConcurrentHashMap.newKeySet();
    /** Attempts taken and not yet started, nor given up. */
    private final AtomicInteger waiting = new AtomicInteger();
    /**
     * Jobs cancelled, with when the order was given (forgotten after a day). An order applies only to
     * attempts whose records were produced before it: a job deleted by retention may be submitted
     * again under its id, and the new job's tasks are not the cancelled job's.
     */
    private final Map<UUID, Long> cancelledJobs = new ConcurrentHashMap<>();
    /**
     * Jobs suspended, with when this executor heard so (forgotten after a day, as a job suspended that
     * long is rare and its orders are re-sent). Unlike a cancel, a suspend holds back every attempt of
     * the job, whenever produced: a suspended job's tasks re-sent by its coordinator after the order
     * must not run either, and a resume ends it.
     */
    private final Map<UUID, Long> suspendedJobs = new ConcurrentHashMap<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final FanoutMeters meters;
    private final Timer taskDuration;
    private final Timer queueWait;
    private volatile boolean stopping;
    private volatile boolean handingBack;

    /** Watchdogs and heartbeats. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fanout-executor-timers"));

    Attempts(ExecutorConfig config, TaskRunner runner, StatusReporter reporter, RecordSettlement settlement, FanoutMeters meters) {
        this.config = config;
        this.runner = runner;
        this.reporter = reporter;
        this.settlement = settlement;
        this.guard = new ThreadGuard(config.executorId(), config.health());
        this.held = new HeldAttempts(reporter, config.clock());
        this.watchdog = new Watchdog(timers, guard, config.clock(), config.executorId(), this::finish);
        this.slots = new Semaphore(config.concurrency());
        this.meters = meters;
        this.taskDuration = meters.taskDuration();
        this.queueWait = meters.queueWait();
        long beat = config.heartbeatInterval().toMillis();
        timers.scheduleAtFixedRate(guard.guarded("executor task heartbeat", held::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
    }

    HeldAttempts held() {
        return held;
    }

    /**
     * Takes a received attempt and runs it when a slot is free, or reports it CANCELLED if its job
     * was, or hands it back to the coordinator if its job is suspended. Nothing is reported on
     * receipt: RUNNING says the task was received too, and one still waiting for a slot at the next
     * heartbeat is reported RECEIVED then. A report on receipt cost a row update of its own for each
     * task that waited in the buffer (the outcome came in a later status batch).
     */
    void start(Attempt attempt) {
        TaskRecord task = attempt.task;
        if (isCancelled(attempt)) {
            finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), config.clock().millis())); // its job was cancelled: never run
            return;
        }
        if (isSuspended(attempt)) {
            returnToCoordinator(attempt, config.clock().millis());
            return;
        }
        held.add(attempt);
        waiting.incrementAndGet();
        workers.execute(guard.guarded("executor task worker", () -> execute(attempt)));
    }

    private void execute(Attempt attempt) {
        Thread self = Thread.currentThread();
        TaskRecord task = attempt.task;
        waitingTasks.add(self);
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            giveUp(attempt); // stopping before it started
            return;
        } finally {
            waitingTasks.remove(self);
            waiting.decrementAndGet();
        }
        if (stopping || attempt.withdrawn) {
            slots.release();
            giveUp(attempt); // not started before the stop or the rebalance
            return;
        }
        runningTasks.add(self);
        try {
            long now = config.clock().millis();
            attempt.worker = self;
            attempt.startedNanos = System.nanoTime();
            attempt.running = true; // before the checks: a cancel or withdrawal from now on finds it running, one before is seen here
            if (attempt.withdrawn) {
                attempt.running = false;
                handBack(attempt);
                return;
            }
            if (isCancelled(attempt)) {
                finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), now));
                return;
            }
            if (isSuspended(attempt)) {
                returnToCoordinator(attempt, now);
                return;
            }
            if (task.deadlineMillis() > 0 && now >= task.deadlineMillis()) {
                log.info("task {} of job {} not started: the job's deadline has passed", task.taskId(), task.jobId());
                finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), now));
                return;
            }
            queueWait.record(attempt.startedNanos - attempt.receivedNanos, TimeUnit.NANOSECONDS);
            reporter.report(task.jobId(), task.statusPartition(), StatusEvent.running(task.taskId(), task.attempt(), now), null);
            ScheduledFuture<?> watch = watchdog.watch(attempt, self, now);
            StatusEvent outcome = runner.run(task, attempt.tp.partition(), attempt.offset, attempt.deliveryCount);
            if (watch != null) {
                watch.cancel(false);
            }
            if (handingBack) {
                handBack(attempt);
                return; // interrupted by a stop: another member runs it again
            }
            if (outcome.state() == TaskState.FAILED && !attempt.reported.get()) {
                log.warn("task {} ({}) of job {} attempt {} failed: {}: {}", task.taskId(), task.taskName(), task.jobId(), task.attempt(),
                        outcome.errorClass(), outcome.errorMessage());
            }
            finish(attempt, outcome);
        } finally {
            runningTasks.remove(self);
            slots.release();
        }
    }

    /** Reports an attempt's outcome once (the worker, the watchdog and a cancel may all try); its offset is released when the report is acknowledged. */
    void finish(Attempt attempt, StatusEvent outcome) {
        if (attempt.reported.compareAndSet(false, true)) {
            (outcome.state() == TaskState.SUCCEEDED ? completed : failed).incrementAndGet();
            meters.tasksFinished(outcome.state().name()).increment();
            if (attempt.running) {
                taskDuration.record(System.nanoTime() - attempt.startedNanos, TimeUnit.NANOSECONDS);
            }
            held.remove(attempt);
            reporter.report(attempt.task.jobId(), attempt.task.statusPartition(), outcome, () -> settlement.reported(attempt));
        }
    }

    /** Whether the attempt's job was cancelled after its record was produced. */
    private boolean isCancelled(Attempt attempt) {
        Long orderedAt = cancelledJobs.get(attempt.task.jobId());
        return orderedAt != null && attempt.producedBefore(orderedAt);
    }

    /** Whether the attempt's job is suspended; a reduce is never held back (a job is suspended only while its subtasks run). */
    private boolean isSuspended(Attempt attempt) {
        return attempt.task.kind() != TaskKind.REDUCE && suspendedJobs.containsKey(attempt.task.jobId());
    }

    /** Reports the attempt SUSPENDED, unstarted: the coordinator holds the task until its job is resumed, and the record is settled. */
    private void returnToCoordinator(Attempt attempt, long now) {
        if (attempt.reported.compareAndSet(false, true)) {
            held.remove(attempt);
            meters.tasksReturned().increment();
            reporter.report(attempt.task.jobId(), attempt.task.statusPartition(), StatusEvent.suspended(attempt.task.taskId(), attempt.task.attempt(), now),
                    () -> settlement.reported(attempt));
        }
    }

    /**
     * An attempt not started before a stop goes back to the coordinator (reported SUSPENDED, unstarted:
     * it dispatches the task again at once and stops watching it here), so it neither waits for the
     * partition's next owner to read it again nor is presumed lost meanwhile (issue C7). One whose
     * partition moved in a rebalance, and a reduce, go back uncommitted to the partition's next owner.
     */
    private void giveUp(Attempt attempt) {
        if (stopping && !attempt.withdrawn && attempt.task.kind() != TaskKind.REDUCE) {
            returnToCoordinator(attempt, config.clock().millis());
        } else {
            handBack(attempt);
        }
    }

    /**
     * An attempt received but never started here (its poll held more than the buffer takes) goes
     * back at a graceful stop as one waiting for a slot does: reported SUSPENDED, unstarted, so the
     * coordinator dispatches it again at once; a reduce goes back uncommitted.
     */
    void returnUnstarted(Attempt attempt) {
        if (attempt.task.kind() != TaskKind.REDUCE) {
            returnToCoordinator(attempt, config.clock().millis());
        } else {
            handBack(attempt);
        }
    }

    private void handBack(Attempt attempt) {
        held.remove(attempt);
        settlement.handedBack(attempt);
    }

    /**
     * The job was cancelled at {@code orderedAt} (the order record's timestamp): its running attempts
     * are reported CANCELLED and interrupted, and its other attempts, held or still to come, are
     * reported CANCELLED without running; all of them only if their records were produced before the order.
     */
    void cancelJob(UUID jobId, long orderedAt) {
        long now = config.clock().millis();
        cancelledJobs.merge(jobId, orderedAt < 0 ? now : orderedAt, Math::max); // an order of unknown time: as of its receipt
        suspendedJobs.remove(jobId);
        cancelledJobs.values().removeIf(t -> now - t > Duration.ofDays(1).toMillis());
        for (Attempt a : held.running(jobId)) {
            if (a.producedBefore(orderedAt)) {
                finish(a, StatusEvent.cancelled(a.task.taskId(), a.task.attempt(), now));
                Thread worker = a.worker;
                if (worker != null) {
                    worker.interrupt();
                }
            }
        }
        log.info("executor {}: job {} cancelled", config.executorId(), jobId);
    }

    /** The job was suspended: none of its attempts starts from now on; each goes back to the coordinator instead (running ones finish). */
    void suspendJob(UUID jobId) {
        long now = config.clock().millis();
        if (suspendedJobs.put(jobId, now) == null) {
            log.info("executor {}: job {} suspended", config.executorId(), jobId);
        }
        suspendedJobs.values().removeIf(t -> now - t > Duration.ofDays(1).toMillis());
    }

    /** The job was resumed: its attempts start again. */
    void resumeJob(UUID jobId) {
        if (suspendedJobs.remove(jobId) != null) {
            log.info("executor {}: job {} resumed", config.executorId(), jobId);
        }
    }

    /** Starts nothing more: attempts still waiting for a slot go back unrun. */
    void stopStarting() {
        stopping = true;
        waitingTasks.forEach(Thread::interrupt);
    }

    /** Interrupts what still runs; those attempts are handed back unreported (the partitions' next owners run them). */
    void handBackRunning() {
        handingBack = true;
        runningTasks.forEach(Thread::interrupt);
    }

    /** Ends the worker threads, then the timers; whatever the workers were running is handed back unreported. */
    void shutdown() {
        handingBack = true;
        workers.shutdownNow();
        timers.shutdownNow();
    }

    int running() {
        return runningTasks.size();
    }

    /** Attempts taken and waiting for a slot. */
    int waiting() {
        return waiting.get();
    }

    long completed() {
        return completed.get();
    }

    long failed() {
        return failed.get();
    }
}
