package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.StagedStatus;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Folds one poll batch's status events into one net change per task: the event furthest along
 * (highest attempt, then highest rank) wins, and the times of the earlier steps of that attempt
 * are kept. Fewer rows to write, same final state.
 */
final class StatusCoalescer {

    private record Key(UUID jobId, UUID taskId) {
    }

    private final Map<Key, StagedStatus> byTask = new HashMap<>();

    void add(StatusBatch batch) {
        for (StatusEvent e : batch.events()) {
            byTask.merge(new Key(batch.jobId(), e.taskId()), stage(batch.jobId(), batch.executorId(), e), StatusCoalescer::merge);
        }
    }

    Collection<StagedStatus> statuses() {
        return byTask.values();
    }

    private static StagedStatus stage(UUID jobId, String executorId, StatusEvent e) {
        long t = e.timeMillis();
        return new StagedStatus(jobId, e.taskId(), e.attempt(), e.state(), executorId,
                e.state() == TaskState.RECEIVED ? t : 0,
                e.state() == TaskState.RUNNING ? t : 0,
                e.state().isTerminal() ? t : 0,
                e.result(), e.resultJson(), e.failure(), e.reduceRequired(), 0, null);
    }

    private static StagedStatus merge(StagedStatus a, StagedStatus b) {
        boolean bAhead = b.attempt() > a.attempt() || (b.attempt() == a.attempt() && b.state().rank() > a.state().rank());
        StagedStatus ahead = bAhead ? b : a;
        StagedStatus behind = bAhead ? a : b;
        boolean reduce = a.reduceRequired() || b.reduceRequired();
        if (behind.attempt() != ahead.attempt()) {
            return withReduce(ahead, reduce);
        }
        return new StagedStatus(ahead.jobId(), ahead.taskId(), ahead.attempt(), ahead.state(), ahead.executorId(),
                first(ahead.receivedAt(), behind.receivedAt()),
                first(ahead.startedAt(), behind.startedAt()),
                first(ahead.finishedAt(), behind.finishedAt()),
                ahead.result(), ahead.resultJson(), ahead.failure(), reduce, 0, null);
    }

    private static StagedStatus withReduce(StagedStatus s, boolean reduce) {
        return s.reduceRequired() == reduce ? s : new StagedStatus(s.jobId(), s.taskId(), s.attempt(), s.state(), s.executorId(), s.receivedAt(),
                s.startedAt(), s.finishedAt(), s.result(), s.resultJson(), s.failure(), reduce, 0, null);
    }

    private static long first(long a, long b) {
        return a > 0 ? a : b;
    }
}
