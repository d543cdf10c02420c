package io.fanout.executor.runtime;

import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The attempts this executor holds (received, waiting or running, not yet reported): what its heartbeat reports alive. */
final class HeldAttempts {

    /** Each held attempt, and when it was taken into the buffer (the time its RECEIVED heartbeat gives). */
    private final Map<Attempt, Long> held = new ConcurrentHashMap<>();
    private final StatusReporter reporter;
    private final Clock clock;

    HeldAttempts(StatusReporter reporter, Clock clock) {
        this.reporter = reporter;
        this.clock = clock;
    }

    void add(Attempt a) {
        held.put(a, clock.millis());
    }

    void remove(Attempt a) {
        held.remove(a);
    }

    /** Tells the coordinators that every held attempt is still alive. */
    void heartbeat() {
        long now = clock.millis();
        held.forEach((a, takenAt) -> {
            TaskRecord t = a.task;
            reporter.report(t.jobId(), t.statusPartition(),
                    a.running ? StatusEvent.running(t.taskId(), t.attempt(), now) : StatusEvent.received(t.taskId(), t.attempt(), takenAt), null);
        });
    }

    /** The running attempts of a job. */
    List<Attempt> running(UUID jobId) {
        return held.keySet().stream().filter(a -> a.running && a.task.jobId().equals(jobId)).toList();
    }

    /**
     * The attempts of partitions this executor no longer owns that have not started yet will be run
     * by the new owner (their offsets are not committed): they are withdrawn, not run here too.
     * Attempts already running finish and report; the new owner's run of the same attempt changes
     * nothing.
     */
    void withdraw(Collection<?> partitions) {
        for (Attempt a : held.keySet()) {
            if (!a.running && partitions.contains(a.tp)) {
                a.withdrawn = true;
                held.remove(a);
            }
        }
    }
}
