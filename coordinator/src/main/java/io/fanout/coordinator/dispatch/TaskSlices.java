package io.fanout.coordinator.dispatch;

import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.model.TaskKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.ToIntFunction;

/**
 * Packs task attempts into the records that carry them. The mapped tasks of a job sent together
 * go in slices: at most {@code sliceSize} tasks and {@link #MAX_SLICE_BYTES} a record.
 * A slice is also small enough that every partition of the pool's topic gets
 * {@link #SLICES_PER_PARTITION} of them, and that n tasks go in at least √n slices: a record's cost
 * is shared by its tasks, but a slice runs on one executor, so fewer, larger slices spread the work
 * less evenly over the pool (a share group's executors may outnumber the partitions). A slice takes
 * every s-th task of the group (for s slices), not s neighbours: neighbouring tasks share a heap page
 * of the task table, and an executor runs a slice's tasks together, so with neighbours in one slice
 * their outcomes came back in one status batch and updated most rows of a page in one statement,
 * where the page had room for the new versions of few (non-HOT updates: a new index entry each,
 * a third more WAL a task). Every other attempt (a root, a reduce, a job's lone task) goes in a
 * record of its own, as does everything with a slice size of 1.
 */
final class TaskSlices {

    /** Bytes of one slice's tasks: well below the producer's and brokers' default record limit (1 MiB). */
    static final int MAX_SLICE_BYTES = 256 * 1024;
    /** A task's bytes in a slice besides its payload and name: ids, attempt, kind, format, lengths. */
    private static final int TASK_OVERHEAD = 64;
    static final int SLICES_PER_PARTITION = 2;

    /** What a slice's tasks share, written once in its record. */
    private record Shared(UUID jobId, String pool, int statusPartition, String processor, long timeoutMillis, long deadlineMillis,
                          List<String> nonRetryable) {

        static Shared of(TaskDispatch d) {
            return new Shared(d.task().jobId(), d.job().pool(), d.job().ownerPartition(), d.job().processor(), d.job().taskTimeoutMillis(),
                    d.job().deadlineMillis(), d.job().retry().nonRetryable());
        }
    }

    private TaskSlices() {
    }

    /** The records that carry these attempts, each a list of the attempts it carries (a slice's in the order first given). */
    static List<List<TaskDispatch>> of(List<TaskDispatch> dispatches, int sliceSize, ToIntFunction<String> partitionsOfPool) {
        List<List<TaskDispatch>> records = new ArrayList<>();
        Map<Shared, List<TaskDispatch>> sliceable = new LinkedHashMap<>();
        for (TaskDispatch d : dispatches) {
            if (sliceSize > 1 && d.task().kind() == TaskKind.MAPPED) {
                sliceable.computeIfAbsent(Shared.of(d), s -> new ArrayList<>()).add(d);
            } else {
                records.add(List.of(d));
            }
        }
        for (Map.Entry<Shared, List<TaskDispatch>> e : sliceable.entrySet()) {
            List<TaskDispatch> tasks = e.getValue();
            int partitions = Math.max(1, partitionsOfPool.applyAsInt(e.getKey().pool()));
            int size = Math.max(1, Math.min(Math.min(sliceSize, tasks.size() / (SLICES_PER_PARTITION * partitions)), (int) Math.sqrt(tasks.size())));
            int slices = (tasks.size() + size - 1) / size;
            List<List<TaskDispatch>> strided = new ArrayList<>(slices);
            for (int i = 0; i < slices; i++) {
                strided.add(new ArrayList<>(size));
            }
            for (int i = 0; i < tasks.size(); i++) {
                strided.get(i % slices).add(tasks.get(i));
            }
            strided.forEach(slice -> records.addAll(boundedInBytes(slice)));
        }
        return records;
    }

    /** The slice as it is, or cut into pieces of at most {@link #MAX_SLICE_BYTES} where its payloads are larger. */
    private static List<List<TaskDispatch>> boundedInBytes(List<TaskDispatch> slice) {
        List<List<TaskDispatch>> pieces = new ArrayList<>();
        List<TaskDispatch> piece = new ArrayList<>();
        long bytes = 0;
        for (TaskDispatch d : slice) {
            long taskBytes = bytes(d);
            if (!piece.isEmpty() && bytes + taskBytes > MAX_SLICE_BYTES) {
                pieces.add(piece);
                piece = new ArrayList<>();
                bytes = 0;
            }
            piece.add(d);
            bytes += taskBytes;
        }
        pieces.add(piece);
        return pieces;
    }

    /** At most what a task takes in a slice (its name counted at three bytes a character, UTF-8's most for Java's chars). */
    private static long bytes(TaskDispatch d) {
        return TASK_OVERHEAD + 3L * d.task().taskName().length() + (d.task().payload() == null ? 0 : d.task().payload().length);
    }
}
