package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's consumer loop. It only polls, hands records to worker threads, and commits; it
 * never runs a task, so it keeps polling (and the member keeps its place in the group) however
 * long tasks take. When the buffer is full it pauses its partitions and keeps polling. Offsets are
 * committed up to the lowest unfinished task of each partition. A watchdog stops attempts at their
 * timeout or their job's deadline, and a heartbeat reports every held task alive.
 */
public final class PollLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** The error class of an attempt stopped at its task timeout. */
    static final String TIMED_OUT_CLASS = "io.fanout.TaskTimedOut";

    private final Consumer<byte[], byte[]> consumer;
    private final ExecutorConfig config;
    private final TaskRunner runner;
    private final StatusReporter reporter;
    private final OffsetTracker tracker = new OffsetTracker();
    private final Semaphore slots;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fanout-executor-task-", 0).factory());
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fanout-executor-timers"));
    private final PoisonRecords poison;
    private final Set<Attempt> held = ConcurrentHashMap.newKeySet();
    private final Set<Thread> runningTasks = ConcurrentHashMap.newKeySet();
    private final FanoutMeters meters;
    private final Timer taskDuration;
    private final Timer queueWait;
    private final Map<UUID, Long> cancelledJobs = new ConcurrentHashMap<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Set<Thread> waitingTasks = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    private volatile boolean stopping;
    private volatile boolean handingBack;
    private boolean paused;

    PollLoop(Consumer<byte[], byte[]> consumer, ExecutorConfig config, TaskRunner runner, StatusReporter reporter, PoisonRecords poison,
             FanoutMeters meters) {
        this.meters = meters;
        this.taskDuration = meters.taskDuration();
        this.queueWait = meters.queueWait();
        meters.inFlight(tracker::inFlight);
        this.consumer = consumer;
        this.config = config;
        this.runner = runner;
        this.reporter = reporter;
        this.poison = poison;
        this.slots = new Semaphore(config.concurrency());
        long beat = config.heartbeatInterval().toMillis();
        timers.scheduleAtFixedRate(guarded("executor task heartbeat", this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
    }

    /** One received task attempt, from its record to its reported outcome. */
    private static final class Attempt {
        final TaskRecord task;
        final TopicPartition tp;
        final long offset;
        final AtomicBoolean reported = new AtomicBoolean();
        final long receivedNanos = System.nanoTime();
        volatile long startedNanos;
        volatile boolean running;
        /** Its partition went to another member before it started: that member runs it. */
        volatile boolean withdrawn;
        volatile Thread worker;

        Attempt(TaskRecord task, TopicPartition tp, long offset) {
            this.task = task;
            this.tp = tp;
            this.offset = offset;
        }
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topics().tasks(config.pool())), new Rebalance());
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    handle(r);
                }
                flowControl();
                commit();
            }
            drain();
        } catch (RuntimeException | Error e) {
            log.error("executor {} poll loop stopped by an unexpected error; the executor stops", config.executorId(), e);
            config.health().failed("executor poll loop", e);
        } finally {
            handingBack = true; // tasks interrupted now are handed back unreported, never failed
            timers.shutdownNow();
            workers.shutdownNow();
            consumer.close();
            stopped.countDown();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        TaskRecord task;
        try {
            task = WireCodec.decodeTask(r.value());
        } catch (WireFormatException e) {
            log.error("unreadable task record {}@{} goes to the dead-letter topic: {}", tp, r.offset(), e.getMessage());
            tracker.received(tp, r.offset());
            poison.deadLetter(r, e, () -> tracker.finished(tp, r.offset()));
            return;
        }
        tracker.received(tp, r.offset());
        Attempt attempt = new Attempt(task, tp, r.offset());
        if (cancelledJobs.containsKey(task.jobId())) {
            finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), config.clock().millis())); // its job was cancelled: never run
            return;
        }
        held.add(attempt);
        reporter.report(task.jobId(), task.statusPartition(), StatusEvent.received(task.taskId(), task.attempt(), config.clock().millis()), null);
        workers.execute(guarded("executor task worker", () -> execute(attempt)));
    }

    /**
     * A task for a thread whose failure would otherwise go unnoticed (a scheduled task that throws
     * is never run again, a worker that throws leaves its task unreported): a runtime error is
     * logged, anything worse makes the executor unhealthy.
     */
    private Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("executor {}: {} failed", config.executorId(), what, e);
                config.health().failed(what, e);
            } catch (Error e) {
                config.health().failed(what, e);
                throw e;
            }
        };
    }

    private void execute(Attempt attempt) {
        Thread self = Thread.currentThread();
        TaskRecord task = attempt.task;
        waitingTasks.add(self);
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            handBack(attempt); // stopping before it started: handed back uncommitted
            return;
        } finally {
            waitingTasks.remove(self);
        }
        if (stopping || attempt.withdrawn) {
            slots.release();
            handBack(attempt); // not started before the stop or the rebalance: the partition's next owner runs it
            return;
        }
        runningTasks.add(self);
        try {
            long now = config.clock().millis();
            attempt.worker = self;
            attempt.startedNanos = System.nanoTime();
            attempt.running = true; // before the check: a cancel from now on finds it running, one before is seen by the check
            if (cancelledJobs.containsKey(task.jobId())) {
                finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), now));
                return;
            }
            if (task.deadlineMillis() > 0 && now >= task.deadlineMillis()) {
                log.info("task {} of job {} not started: the job's deadline has passed", task.taskId(), task.jobId());
                finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), now));
                return;
            }
            queueWait.record(attempt.startedNanos - attempt.receivedNanos, TimeUnit.NANOSECONDS);
            reporter.report(task.jobId(), task.statusPartition(), StatusEvent.running(task.taskId(), task.attempt(), now), null);
            ScheduledFuture<?> watchdog = watch(attempt, self, now);
            StatusEvent outcome = runner.run(task, attempt.tp.partition(), attempt.offset);
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            if (handingBack) {
                held.remove(attempt);
                return; // interrupted by shutdown: another member runs it again
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

    /** Reports an attempt's outcome once (the worker and the watchdog may both try); its offset is released when the report is acknowledged. */
    private void finish(Attempt attempt, StatusEvent outcome) {
        if (attempt.reported.compareAndSet(false, true)) {
            (outcome.state() == TaskState.SUCCEEDED ? completed : failed).incrementAndGet();
            meters.tasksFinished(outcome.state().name()).increment();
            if (attempt.running) {
                taskDuration.record(System.nanoTime() - attempt.startedNanos, TimeUnit.NANOSECONDS);
            }
            held.remove(attempt);
            reporter.report(attempt.task.jobId(), attempt.task.statusPartition(), outcome, () -> tracker.finished(attempt.tp, attempt.offset));
        }
    }

    private void handBack(Attempt attempt) {
        held.remove(attempt);
        tracker.handedBack(attempt.tp, attempt.offset);
    }

    /**
     * Stops the attempt at its timeout or its job's deadline, whichever comes first: the outcome
     * (TIMED_OUT or CANCELLED) is reported at once and the worker is interrupted. A processor that
     * ignores the interrupt keeps its slot until it returns, but its result is no longer reported.
     */
    private ScheduledFuture<?> watch(Attempt attempt, Thread worker, long now) {
        TaskRecord task = attempt.task;
        long timeoutAt = task.timeoutMillis() > 0 ? saturatedSum(now, task.timeoutMillis()) : Long.MAX_VALUE;
        long deadline = task.deadlineMillis() > 0 ? task.deadlineMillis() : Long.MAX_VALUE;
        if (timeoutAt == Long.MAX_VALUE && deadline == Long.MAX_VALUE) {
            return null;
        }
        boolean byDeadline = deadline <= timeoutAt;
        return timers.schedule(guarded("executor task watchdog", () -> {
            long at = config.clock().millis();
            if (byDeadline) {
                log.info("task {} of job {} stopped: the job's deadline has passed", task.taskId(), task.jobId());
                finish(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), at));
            } else {
                log.warn("task {} ({}) of job {} attempt {} timed out after {} ms", task.taskId(), task.taskName(), task.jobId(), task.attempt(),
                        task.timeoutMillis());
                finish(attempt, StatusEvent.timedOut(task.taskId(), task.attempt(), at, new Failure(TIMED_OUT_CLASS, "attempt ran longer than the job's "
                        + "task timeout of " + task.timeoutMillis() + " ms on executor " + config.executorId(), null, true, -1, attempt.tp.partition(),
                        attempt.offset)));
            }
            worker.interrupt();
        }), Math.min(timeoutAt, deadline) - now, TimeUnit.MILLISECONDS);
    }

    /**
     * The job was cancelled: its running attempts are reported CANCELLED and interrupted, and its
     * other tasks, held or still to come, are reported CANCELLED without running.
     */
    void cancelJob(UUID jobId) {
        long now = config.clock().millis();
        cancelledJobs.put(jobId, now);
        cancelledJobs.values().removeIf(t -> now - t > Duration.ofDays(1).toMillis());
        for (Attempt a : held) {
            if (a.task.jobId().equals(jobId) && a.running) {
                finish(a, StatusEvent.cancelled(a.task.taskId(), a.task.attempt(), now));
                Thread worker = a.worker;
                if (worker != null) {
                    worker.interrupt();
                }
            }
        }
        log.info("executor {}: job {} cancelled", config.executorId(), jobId);
    }

    /** Tells the coordinators that every task this executor holds is still alive. */
    private void heartbeat() {
        long now = config.clock().millis();
        for (Attempt a : held) {
            TaskRecord t = a.task;
            reporter.report(t.jobId(), t.statusPartition(),
                    a.running ? StatusEvent.running(t.taskId(), t.attempt(), now) : StatusEvent.received(t.taskId(), t.attempt(), now), null);
        }
    }

    private void flowControl() {
        int inFlight = tracker.inFlight();
        if (!paused && inFlight >= config.maxBuffered()) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && inFlight <= config.maxBuffered() / 2 && !stopping) {
            consumer.resume(consumer.assignment());
            paused = false;
        }
    }

    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> changed = new HashMap<>();
        tracker.safeOffsets().forEach((tp, om) -> {
            if (!om.equals(committed.get(tp)) && consumer.assignment().contains(tp)) {
                changed.put(tp, om);
            }
        });
        if (!changed.isEmpty()) {
            committed.putAll(changed);
            consumer.commitAsync(changed, (offsets, error) -> {
                if (error != null) { // runs on this thread, in a later poll: forget them so that the next round commits them again
                    offsets.forEach((tp, om) -> committed.remove(tp, om));
                    log.debug("executor {}: offset commit failed, retried next round: {}", config.executorId(), error.toString());
                }
            });
        }
    }

    private static long saturatedSum(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * Graceful stop: take nothing new, hand back what has not started, let running tasks finish
     * within the grace period, hand back the rest.
     */
    private void drain() {
        consumer.pause(consumer.assignment());
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (tracker.inFlight() > 0 && System.nanoTime() < deadline) {
            waitingTasks.forEach(Thread::interrupt); // tasks waiting for a slot go back unrun
            consumer.poll(POLL); // keeps the membership alive while paused
            commit();
        }
        if (tracker.inFlight() > 0) {
            log.warn("executor {}: {} tasks still unfinished after {}; handing them back", config.executorId(), tracker.inFlight(),
                    config.shutdownGrace());
            handingBack = true;
            runningTasks.forEach(Thread::interrupt);
        }
        commitSync();
    }

    private void commitSync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.safeOffsets());
        offsets.keySet().retainAll(consumer.assignment());
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets);
            } catch (RuntimeException e) {
                log.warn("executor {}: offset commit failed: {}", config.executorId(), e.getMessage());
            }
        }
    }

    /** Stops taking work and waits for the loop to finish its graceful stop. */
    void stop() throws InterruptedException {
        stopping = true;
        stopped.await(config.shutdownGrace().toMillis() + 30_000, TimeUnit.MILLISECONDS);
    }

    int inFlight() {
        return tracker.inFlight();
    }

    int running() {
        return runningTasks.size();
    }

    long completed() {
        return completed.get();
    }

    /** Attempts that did not succeed (failed, timed out, cancelled). */
    long failed() {
        return failed.get();
    }

    /**
     * The tasks of partitions this executor no longer owns that have not started yet will be run
     * by the new owner (their offsets are not committed): do not run them here too. Tasks already
     * running finish and report; the new owner's run of the same attempt changes nothing.
     */
    private void withdraw(Collection<TopicPartition> partitions) {
        for (Attempt a : held) {
            if (!a.running && partitions.contains(a.tp)) {
                a.withdrawn = true;
                held.remove(a);
            }
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            withdraw(partitions);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.safeOffsets());
            offsets.keySet().retainAll(partitions);
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets);
                } catch (RuntimeException e) {
                    log.warn("executor {}: commit on revocation failed: {}", config.executorId(), e.getMessage());
                }
            }
            tracker.forget(partitions);
            partitions.forEach(committed::remove);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            withdraw(partitions);
            tracker.forget(partitions);
            partitions.forEach(committed::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (paused || stopping) {
                consumer.pause(partitions);
            }
            if (!partitions.isEmpty()) {
                log.info("executor {} assigned {}", config.executorId(), partitions);
            }
        }
    }
}
