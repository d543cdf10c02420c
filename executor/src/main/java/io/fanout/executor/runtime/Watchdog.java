package io.fanout.executor.runtime;

import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import java.time.Clock;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops an attempt at its timeout or its job's deadline, whichever comes first: the outcome
 * (TIMED_OUT or CANCELLED) is reported at once and the worker is interrupted. A processor that
 * ignores the interrupt keeps its slot until it returns, but its result is no longer reported.
 */
final class Watchdog {

    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    /** The error class of an attempt stopped at its task timeout. */
    static final String TIMED_OUT_CLASS = "io.fanout.TaskTimedOut";

    private final ScheduledExecutorService timers;
    private final ThreadGuard guard;
    private final Clock clock;
    private final String executorId;
    private final BiConsumer<Attempt, StatusEvent> finish;

    Watchdog(ScheduledExecutorService timers, ThreadGuard guard, Clock clock, String executorId, BiConsumer<Attempt, StatusEvent> finish) {
        this.timers = timers;
        this.guard = guard;
        this.clock = clock;
        this.executorId = executorId;
        this.finish = finish;
    }

    /** Watches an attempt that started at {@code now} on {@code worker}; null if it has neither a timeout nor a deadline. */
    ScheduledFuture<?> watch(Attempt attempt, Thread worker, long now) {
        TaskRecord task = attempt.task;
        long timeoutAt = task.timeoutMillis() > 0 ? saturatedSum(now, task.timeoutMillis()) : Long.MAX_VALUE;
        long deadline = task.deadlineMillis() > 0 ? task.deadlineMillis() : Long.MAX_VALUE;
        if (timeoutAt == Long.MAX_VALUE && deadline == Long.MAX_VALUE) {
            return null;
        }
        boolean byDeadline = deadline <= timeoutAt;
        try {
            return schedule(attempt, worker, now, timeoutAt, deadline, byDeadline);
        } catch (RejectedExecutionException stopping) {
            return null; // the executor is stopping: the attempt is handed back, not watched
        }
    }

    private ScheduledFuture<?> schedule(Attempt attempt, Thread worker, long now, long timeoutAt, long deadline, boolean byDeadline) {
        TaskRecord task = attempt.task;
        return timers.schedule(guard.guarded("executor task watchdog", () -> {
            long at = clock.millis();
            if (byDeadline) {
                log.info("task {} of job {} stopped: the job's deadline has passed", task.taskId(), task.jobId());
                finish.accept(attempt, StatusEvent.cancelled(task.taskId(), task.attempt(), at));
            } else {
                log.warn("task {} ({}) of job {} attempt {} timed out after {} ms", task.taskId(), task.taskName(), task.jobId(), task.attempt(),
                        task.timeoutMillis());
                finish.accept(attempt, StatusEvent.timedOut(task.taskId(), task.attempt(), at, new Failure(TIMED_OUT_CLASS, "attempt ran longer than "
                        + "the job's task timeout of " + task.timeoutMillis() + " ms on executor " + executorId, null, true, -1, attempt.tp.partition(),
                        attempt.offset)));
            }
            worker.interrupt();
        }), Math.min(timeoutAt, deadline) - now, TimeUnit.MILLISECONDS);
    }

    private static long saturatedSum(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
