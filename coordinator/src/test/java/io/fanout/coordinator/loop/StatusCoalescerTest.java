package io.fanout.coordinator.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.store.StagedStatus;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StatusCoalescerTest {

    private final UUID job = UUID.randomUUID();
    private final UUID task = UUID.randomUUID();

    @Test
    void theFurthestStateWinsAndKeepsTheEarlierStepsTimes() {
        StatusCoalescer c = new StatusCoalescer();
        c.add(new StatusBatch(job, "e1", List.of(StatusEvent.succeeded(task, 0, 30, true, null, "1"))));
        c.add(new StatusBatch(job, "e1", List.of(StatusEvent.received(task, 0, 10), StatusEvent.running(task, 0, 20))));
        StagedStatus s = c.statuses().iterator().next();
        assertEquals(1, c.statuses().size());
        assertEquals(TaskState.SUCCEEDED, s.state());
        assertEquals(10, s.receivedAt());
        assertEquals(20, s.startedAt());
        assertEquals(30, s.finishedAt());
        assertTrue(s.reduceRequired());
    }

    @Test
    void aNewerAttemptReplacesAnOlderOneWithoutItsTimes() {
        StatusCoalescer c = new StatusCoalescer();
        c.add(new StatusBatch(job, "e1", List.of(StatusEvent.failed(task, 0, 10, Failure.of("x.Boom", "m")), StatusEvent.running(task, 1, 20))));
        StagedStatus s = c.statuses().iterator().next();
        assertEquals(1, s.attempt());
        assertEquals(TaskState.RUNNING, s.state());
        assertEquals(0, s.finishedAt());
    }

    @Test
    void aDuplicateTerminalEventKeepsTheFirst() {
        StatusCoalescer c = new StatusCoalescer();
        c.add(new StatusBatch(job, "e1", List.of(StatusEvent.succeeded(task, 0, 30, false, new byte[] {1}, null))));
        c.add(new StatusBatch(job, "e2", List.of(StatusEvent.succeeded(task, 0, 40, false, new byte[] {2}, null))));
        StagedStatus s = c.statuses().iterator().next();
        assertEquals("e1", s.executorId());
        assertEquals(30, s.finishedAt());
    }
}
