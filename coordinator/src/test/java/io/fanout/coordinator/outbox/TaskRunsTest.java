package io.fanout.coordinator.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fanout.shared.model.TaskIds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class TaskRunsTest {

    private final UUID job = UUID.randomUUID();
    private final UUID other = UUID.randomUUID();

    @Test
    void aMapsChildrenInIndexOrderAreOneRun() {
        LongFunction<UUID> children = TaskIds.children(job, 0);
        List<UUID> tasks = LongStream.range(0, 2000).mapToObj(children).toList();
        byte[] runs = TaskRuns.encode(Collections.nCopies(2000, job), tasks);
        assertEquals(36, runs.length, "one run");
        assertRoundTrip(Collections.nCopies(2000, job), tasks);
    }

    @Test
    void gapsOtherJobsAndOtherCallsStartNewRuns() {
        LongFunction<UUID> a = TaskIds.children(job, 0);
        LongFunction<UUID> b = TaskIds.children(job, 1);
        List<UUID> jobs = List.of(job, job, job, job, other, job);
        List<UUID> tasks = List.of(a.apply(0), a.apply(1), a.apply(3), b.apply(4), a.apply(4), UUID.randomUUID());
        assertEquals(5 * 36, TaskRuns.encode(jobs, tasks).length, "a0-a1, a3, b4, the other job's a4, a random id");
        assertRoundTrip(jobs, tasks);
    }

    /** A slice takes every s-th task of a map: what one transaction owes is still a run, whatever order the slices gave. */
    @Test
    void neighboursGivenApartAreOneRun() {
        LongFunction<UUID> a = TaskIds.children(job, 0);
        List<UUID> tasks = List.of(a.apply(0), a.apply(2), a.apply(4), a.apply(1), a.apply(3), a.apply(5));
        assertEquals(36, TaskRuns.encode(Collections.nCopies(6, job), tasks).length);
        assertRoundTrip(Collections.nCopies(6, job), tasks);
    }

    @Test
    void nothingOwedIsNoBytes() {
        assertEquals(0, TaskRuns.encode(List.of(), List.of()).length);
        assertRoundTrip(List.of(), List.of());
    }

    @Test
    void bytesThatAreNotWholeRunsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TaskRuns.decode(new byte[35], new ArrayList<>(), new ArrayList<>()));
        assertThrows(IllegalArgumentException.class, () -> TaskRuns.encode(List.of(job), List.of()));
    }

    /** The same (job, task) pairs come back, each once. */
    private static void assertRoundTrip(List<UUID> jobs, List<UUID> tasks) {
        List<UUID> decodedJobs = new ArrayList<>();
        List<UUID> decodedTasks = new ArrayList<>();
        TaskRuns.decode(TaskRuns.encode(jobs, tasks), decodedJobs, decodedTasks);
        assertEquals(pairs(jobs, tasks), pairs(decodedJobs, decodedTasks));
        assertEquals(tasks.size(), decodedTasks.size());
    }

    private static Set<List<UUID>> pairs(List<UUID> jobs, List<UUID> tasks) {
        return IntStream.range(0, tasks.size()).mapToObj(i -> List.of(jobs.get(i), tasks.get(i))).collect(Collectors.toSet());
    }
}
