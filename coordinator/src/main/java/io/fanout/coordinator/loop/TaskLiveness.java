package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.HeldTask;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The tasks executors hold (received or running) on this coordinator's partitions, and when each
 * was last heard of. Executors report every held task on a heartbeat, so a task not heard of for
 * {@code lostAfter} has lost its executor (hung, or gone without the group noticing): it gets a
 * synthetic failure, which the retry policy turns into a new attempt on another partition.
 */
final class TaskLiveness {

    /** The error class of an attempt presumed lost. */
    static final String LOST_CLASS = "io.fanout.TaskLost";

    private record Held(UUID jobId, int attempt, String executorId, int partition, long lastSeen) {
    }

    private final Map<UUID, Held> held = new HashMap<>();

    void observe(int partition, StatusBatch batch, long now) {
        for (StatusEvent e : batch.events()) {
            Held h = held.get(e.taskId());
            if (h != null && e.attempt() < h.attempt()) {
                continue; // an older attempt's news
            }
            if (e.state().isTerminal() || e.state() == TaskState.RETRY_WAIT) {
                held.remove(e.taskId()); // ended: no executor holds it now
            } else if (e.state() == TaskState.RECEIVED || e.state() == TaskState.RUNNING) {
                held.put(e.taskId(), new Held(batch.jobId(), e.attempt(), batch.executorId(), partition, now));
            }
        }
    }

    /**
     * These tasks were handed back unstarted and held again (a SUSPENDED report the apply took): no
     * executor holds them now. A hand-back the apply refused (the task was already running
     * elsewhere) leaves the task watched, so it is presumed lost if its executor goes silent.
     */
    void handedBack(Collection<UUID> taskIds) {
        taskIds.forEach(held::remove);
    }

    /** After taking partitions over: their held tasks count as seen now. */
    void seed(Collection<HeldTask> tasks, long now) {
        for (HeldTask t : tasks) {
            held.putIfAbsent(t.taskId(), new Held(t.jobId(), t.attempt(), t.executorId(), t.partition(), now));
        }
    }

    /**
     * The coordinator was not looking for {@code millis} (a long GC pause, the process stopped, the
     * database retried): that time does not count against anyone, so every clock moves on by it.
     */
    void discount(long millis) {
        held.replaceAll((id, h) -> new Held(h.jobId(), h.attempt(), h.executorId(), h.partition(), h.lastSeen() + millis));
    }

    void forget(Collection<Integer> partitions) {
        held.values().removeIf(h -> partitions.contains(h.partition()));
    }

    /**
     * The attempts not heard of since {@code now - lostAfter}, in the status partitions {@code judged}
     * (those read to their end: a task is only silent if its executor's reports are not waiting in a
     * backlog), as failures. They stay tracked (their
     * clock restarted) until {@link #settled} confirms the failures were applied, so a batch that
     * fails to apply loses none of them.
     */
    List<StatusBatch> lost(long now, Duration lostAfter, Set<Integer> judged) {
        List<StatusBatch> failures = new ArrayList<>();
        for (Map.Entry<UUID, Held> e : held.entrySet()) {
            Held h = e.getValue();
            if (now - h.lastSeen() < lostAfter.toMillis() || !judged.contains(h.partition())) {
                continue;
            }
            e.setValue(new Held(h.jobId(), h.attempt(), h.executorId(), h.partition(), now));
            String why = "no sign of life from executor " + h.executorId() + " since " + Instant.ofEpochMilli(h.lastSeen()) + " (over " + lostAfter.toMillis()
                    + " ms): presumed lost";
            failures.add(new StatusBatch(h.jobId(), "coordinator", List.of(StatusEvent.failed(e.getKey(), h.attempt(), now,
                    new Failure(LOST_CLASS, why, null, true, -1, -1, -1)))));
        }
        return failures;
    }

    /** The failures {@link #lost} returned are applied: stop tracking those attempts. */
    void settled(List<StatusBatch> applied) {
        for (StatusBatch b : applied) {
            for (StatusEvent e : b.events()) {
                Held h = held.get(e.taskId());
                if (h != null && h.attempt() == e.attempt()) {
                    held.remove(e.taskId());
                }
            }
        }
    }
}
