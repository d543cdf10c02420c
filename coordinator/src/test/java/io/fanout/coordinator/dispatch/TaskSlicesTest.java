package io.fanout.coordinator.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.WireCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TaskSlicesTest {

    private static final int PARTITIONS = 12;

    private final JobRow job = job(UUID.randomUUID());

    @Test
    void aLargeMapGoesInSlicesThatEveryPartitionGetsTwoOf() {
        List<TaskDispatch> tasks = mapped(job, 20_000, 10);
        List<List<TaskDispatch>> records = TaskSlices.of(tasks, 64, pool -> PARTITIONS);
        assertEquals(313, records.size(), "20,000 tasks in slices of 64");
        assertEquals(Set.copyOf(tasks), records.stream().flatMap(List::stream).collect(Collectors.toSet()), "each task once");
        assertEquals(20_000, records.stream().mapToInt(List::size).sum());
        assertEquals(List.of(tasks.get(1), tasks.get(1 + 313), tasks.get(1 + 2 * 313)), records.get(1).subList(0, 3),
                "a slice takes every 313th task: neighbours (rows of one heap page) finish apart");

        List<List<TaskDispatch>> fewer = TaskSlices.of(mapped(job, 480, 10), 64, pool -> PARTITIONS);
        assertEquals(24, fewer.size(), "480 tasks over 12 partitions: slices of 20, two a partition");

        List<List<TaskDispatch>> onTwoPartitions = TaskSlices.of(mapped(job, 600, 10), 64, pool -> 2);
        assertEquals(25, onTwoPartitions.size(), "600 tasks in √600 slices at least, for executors beyond the partitions");
    }

    @Test
    void aFewTasksRootsReducesAndASliceSizeOfOneGoOneARecord() {
        assertTrue(TaskSlices.of(mapped(job, 40, 10), 64, pool -> PARTITIONS).stream().allMatch(r -> r.size() == 1),
                "40 tasks cannot give every partition two slices");
        assertTrue(TaskSlices.of(mapped(job, 2_000, 10), 1, pool -> PARTITIONS).stream().allMatch(r -> r.size() == 1));
        List<TaskDispatch> mixed = new ArrayList<>(mapped(job, 1_000, 10));
        TaskDispatch root = new TaskDispatch(new NewTask(job.jobId(), TaskIds.root(job.jobId()), null, TaskKind.ROOT, TaskKind.ROOT_TASK_NAME,
                PayloadFormat.NONE, null), 0, job, null);
        TaskDispatch reduce = new TaskDispatch(new NewTask(job.jobId(), TaskIds.reduce(job.jobId()), null, TaskKind.REDUCE, TaskKind.REDUCE_TASK_NAME,
                PayloadFormat.NONE, null), 0, job, new ReduceInputRange(0, 0, 1, 1, null));
        mixed.add(500, root);
        mixed.add(reduce);
        List<List<TaskDispatch>> records = TaskSlices.of(mixed, 64, pool -> PARTITIONS);
        assertTrue(records.contains(List.of(root)));
        assertTrue(records.contains(List.of(reduce)));
        assertEquals(mixed.size(), records.stream().mapToInt(List::size).sum());
    }

    @Test
    void slicesHoldOneJobsTasksAndABoundedPayload() {
        JobRow other = job(UUID.randomUUID());
        List<TaskDispatch> both = new ArrayList<>();
        List<TaskDispatch> a = mapped(job, 1_000, 10);
        List<TaskDispatch> b = mapped(other, 1_000, 10);
        for (int i = 0; i < 1_000; i++) {
            both.add(a.get(i));
            both.add(b.get(i));
        }
        List<List<TaskDispatch>> records = TaskSlices.of(both, 64, pool -> PARTITIONS);
        assertTrue(records.stream().allMatch(r -> r.stream().map(d -> d.task().jobId()).distinct().count() == 1), "a slice is of one job");
        assertEquals(Set.copyOf(a), records.stream().flatMap(List::stream).filter(d -> d.task().jobId().equals(job.jobId())).collect(Collectors.toSet()));

        List<List<TaskDispatch>> big = TaskSlices.of(mapped(job, 2_000, 100 * 1024), 64, pool -> PARTITIONS);
        assertTrue(big.stream().allMatch(r -> r.size() <= 2), "at most 256 KiB of payload a slice");
        assertEquals(2_000, big.stream().mapToInt(List::size).sum());

        List<TaskDispatch> longNames = mapped(job, 1_000_000, 1).stream().map(d -> new TaskDispatch(new NewTask(d.task().jobId(), d.task().taskId(),
                d.task().parentId(), TaskKind.MAPPED, "n".repeat(1_000), PayloadFormat.KRYO, d.task().payload()), 0, job, null)).toList();
        for (List<TaskDispatch> r : TaskSlices.of(longNames, 1_000, pool -> 1)) {
            assertTrue(WireCodec.encodeSlice(r.stream().map(TaskDispatch::record).toList()).length <= TaskSlices.MAX_SLICE_BYTES,
                    "names count towards a slice's size");
        }
    }

    private static List<TaskDispatch> mapped(JobRow job, int n, int payloadBytes) {
        UUID parent = TaskIds.root(job.jobId());
        List<TaskDispatch> tasks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tasks.add(TaskDispatch.first(new NewTask(job.jobId(), TaskIds.children(parent, 0).apply(i), parent, TaskKind.MAPPED, "item",
                    PayloadFormat.KRYO, new byte[payloadBytes]), job));
        }
        return tasks;
    }

    private static JobRow job(UUID id) {
        return new JobRow(id, null, "squares", "default", JobState.RUNNING, 3, 0, 0, 0, false, RetryPolicy.DEFAULT, 0, 0, 0, 0, 0, 0, true);
    }
}
