package io.fanout.shared;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.ReduceInputChunk;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WireCodecTest {

    private final UUID job = UUID.randomUUID();
    private static final UUID FEED = UUID.randomUUID();

    @Test
    void taskRecordsRoundTrip() {
        TaskRecord t = new TaskRecord(job, UUID.randomUUID(), job, 2, 5, TaskKind.MAPPED, "primes", "slice", PayloadFormat.KRYO, new byte[] {1, 2, 3}, 5000,
                1_700_000_000_000L, List.of("java.lang.IllegalArgumentException"), null);
        TaskRecord back = WireCodec.decodeTask(WireCodec.encodeTask(t));
        assertEquals(t.taskId(), back.taskId());
        assertEquals(t.parentId(), back.parentId());
        assertEquals(2, back.attempt());
        assertEquals(5, back.statusPartition());
        assertEquals("slice", back.taskName());
        assertArrayEquals(t.payload(), back.payload());
        assertEquals(5000, back.timeoutMillis());
        assertEquals(1_700_000_000_000L, back.deadlineMillis());
        assertEquals(List.of("java.lang.IllegalArgumentException"), back.nonRetryable());
    }

    @Test
    void aSliceCarriesEachTaskOfItsJob() {
        UUID parent = UUID.randomUUID();
        List<TaskRecord> tasks = List.of(
                new TaskRecord(job, UUID.randomUUID(), parent, 0, 5, TaskKind.MAPPED, "primes", "range", PayloadFormat.KRYO, new byte[] {1, 2, 3}, 5000,
                        1_700_000_000_000L, List.of("java.lang.IllegalArgumentException"), null),
                new TaskRecord(job, UUID.randomUUID(), null, 3, 5, TaskKind.MAPPED, "primes", "item", PayloadFormat.JSON, null, 5000,
                        1_700_000_000_000L, List.of("java.lang.IllegalArgumentException"), null));
        List<TaskRecord> back = WireCodec.decodeTasks(WireCodec.encodeSlice(tasks));
        assertEquals(2, back.size());
        for (int i = 0; i < 2; i++) {
            TaskRecord t = tasks.get(i);
            TaskRecord b = back.get(i);
            assertEquals(List.of(t.jobId(), t.taskId(), t.attempt(), t.statusPartition(), t.kind(), t.processor(), t.taskName(), t.payloadFormat(),
                            t.timeoutMillis(), t.deadlineMillis(), t.nonRetryable()),
                    List.of(b.jobId(), b.taskId(), b.attempt(), b.statusPartition(), b.kind(), b.processor(), b.taskName(), b.payloadFormat(),
                            b.timeoutMillis(), b.deadlineMillis(), b.nonRetryable()));
            assertEquals(t.parentId(), b.parentId());
            assertArrayEquals(t.payload(), b.payload());
        }
        assertEquals(1, WireCodec.decodeTasks(WireCodec.encodeTask(tasks.get(0))).size(), "a record of one task reads as a list of one");
    }

    @Test
    void aSliceIsOfOneJobWithoutAReduceAndUnreadableAsOneTask() {
        TaskRecord t = new TaskRecord(job, UUID.randomUUID(), job, 0, 5, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null);
        TaskRecord other = new TaskRecord(UUID.randomUUID(), UUID.randomUUID(), null, 0, 5, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0,
                List.of(), null);
        TaskRecord reduce = new TaskRecord(job, UUID.randomUUID(), null, 0, 5, TaskKind.REDUCE, "p", TaskKind.REDUCE_TASK_NAME, PayloadFormat.NONE,
                null, 0, 0, List.of(), new ReduceInputRange(1, 0, 1, 1, FEED));
        assertThrows(IllegalArgumentException.class, () -> WireCodec.encodeSlice(List.of(t, other)));
        assertThrows(IllegalArgumentException.class, () -> WireCodec.encodeSlice(List.of(t, reduce)));
        assertThrows(IllegalArgumentException.class, () -> WireCodec.encodeSlice(List.of()));
        WireFormatException e = assertThrows(WireFormatException.class, () -> WireCodec.decodeTask(WireCodec.encodeSlice(List.of(t, t))));
        assertTrue(e.getMessage().contains("version 3"), e.getMessage()); // what an executor before slices says, and dead-letters it
    }

    @Test
    void reduceTasksCarryTheirInputRange() {
        TaskRecord t = new TaskRecord(job, UUID.randomUUID(), null, 0, 1, TaskKind.REDUCE, "p", TaskKind.REDUCE_TASK_NAME, PayloadFormat.NONE, null,
                0, 0, List.of(), new ReduceInputRange(3, 100, 140, 12_345, FEED));
        assertEquals(new ReduceInputRange(3, 100, 140, 12_345, FEED), WireCodec.decodeTask(WireCodec.encodeTask(t)).reduceInput());
    }

    @Test
    void statusBatchesRoundTripEveryKindOfEvent() {
        UUID task = UUID.randomUUID();
        StatusBatch batch = new StatusBatch(job, "exec-1", List.of(
                StatusEvent.received(task, 0, 1),
                StatusEvent.running(task, 0, 2),
                StatusEvent.succeeded(task, 0, 3, true, new byte[] {9}, "42"),
                StatusEvent.failed(task, 1, 4, new Failure("java.io.IOException", "boom", "at x.Y(Y.java:1)", false, 2500, 7, 1234)),
                StatusEvent.timedOut(task, 2, 5, Failure.of("io.fanout.TaskTimedOut", "ran past 1s")),
                StatusEvent.cancelled(task, 3, 6)));
        StatusBatch back = (StatusBatch) WireCodec.decodeStatus(WireCodec.encodeStatus(batch));
        assertEquals("exec-1", back.executorId());
        assertEquals(List.of(TaskState.RECEIVED, TaskState.RUNNING, TaskState.SUCCEEDED, TaskState.FAILED, TaskState.TIMED_OUT, TaskState.CANCELLED),
                back.events().stream().map(StatusEvent::state).toList());
        assertTrue(back.events().get(2).reduceRequired());
        assertEquals("42", back.events().get(2).resultJson());
        assertEquals(new Failure("java.io.IOException", "boom", "at x.Y(Y.java:1)", false, 2500, 7, 1234), back.events().get(3).failure());
        assertEquals("ran past 1s", back.events().get(4).errorMessage());
    }

    @Test
    void mapRequestsRoundTrip() {
        MapRequest m = new MapRequest(job, UUID.randomUUID(), 3, 4000, "leaf", List.of(new byte[] {1}, new byte[] {2, 2}));
        MapRequest back = (MapRequest) WireCodec.decodeStatus(WireCodec.encodeStatus(m));
        assertEquals(3, back.mapCall());
        assertEquals(4000, back.firstIndex());
        assertArrayEquals(new byte[] {2, 2}, back.payloads().get(1));
    }

    @Test
    void onlyReduceRecordsUseTheFeedVersionAndARangeWithoutFeedRoundTrips() {
        TaskRecord plain = new TaskRecord(job, UUID.randomUUID(), null, 0, 1, TaskKind.ROOT, "p", "fanout:root", PayloadFormat.NONE, null, 0, 0,
                List.of(), null);
        assertEquals(1, WireCodec.encodeTask(plain)[0], "records other than reduces keep the version every executor reads");
        TaskRecord reduce = new TaskRecord(job, UUID.randomUUID(), null, 0, 1, TaskKind.REDUCE, "p", "fanout:reduce", PayloadFormat.NONE, null, 0, 0,
                List.of(), new ReduceInputRange(3, 100, 140, 12_345, null));
        assertEquals(null, WireCodec.decodeTask(WireCodec.encodeTask(reduce)).reduceInput().feedId());
        ReduceInputChunk chunk = new ReduceInputChunk(job, FEED, List.of(new byte[] {7}));
        assertEquals(FEED, WireCodec.decodeReduceInput(WireCodec.encodeReduceInput(chunk)).feedId());
    }

    @Test
    void reduceChunksKeepNullResults() {
        ReduceInputChunk chunk = new ReduceInputChunk(job, FEED, Arrays.asList(new byte[] {1}, null));
        assertEquals(null, WireCodec.decodeReduceInput(WireCodec.encodeReduceInput(chunk)).results().get(1));
    }

    @Test
    void garbageAndTruncationAreWireFormatErrorsNotCrashes() {
        byte[] valid = WireCodec.encodeStatus(new StatusBatch(job, "e", List.of(StatusEvent.received(UUID.randomUUID(), 0, 1))));
        assertThrows(WireFormatException.class, () -> WireCodec.decodeStatus(Arrays.copyOf(valid, valid.length - 3)));
        assertThrows(WireFormatException.class, () -> WireCodec.decodeTask("{\"json\": true}".getBytes()));
        assertThrows(WireFormatException.class, () -> WireCodec.decodeTask(null));
        byte[] wrongVersion = valid.clone();
        wrongVersion[0] = 9;
        WireFormatException e = assertThrows(WireFormatException.class, () -> WireCodec.decodeStatus(wrongVersion));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void eventsCheckTheirInvariants() {
        UUID task = UUID.randomUUID();
        assertThrows(IllegalArgumentException.class, () -> new StatusEvent(task, 0, TaskState.RUNNING, 1, false, new byte[1], null, null));
        assertThrows(IllegalArgumentException.class, () -> new StatusEvent(task, 0, TaskState.FAILED, 1, false, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new StatusEvent(task, 0, TaskState.SUCCEEDED, 1, false, null, null, Failure.of("x.Y", "m")));
    }
}
