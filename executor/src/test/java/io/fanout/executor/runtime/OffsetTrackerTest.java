package io.fanout.executor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    private final TopicPartition tp = new TopicPartition("tasks", 0);

    @Test
    void theSafeOffsetIsTheLowestUnfinishedRecord() {
        OffsetTracker t = new OffsetTracker();
        for (long o = 10; o < 15; o++) {
            t.received(tp, o);
        }
        t.finished(tp, 12);
        t.finished(tp, 14);
        assertEquals(10, t.safeOffsets().get(tp).offset());
        t.finished(tp, 10);
        t.finished(tp, 11);
        assertEquals(13, t.safeOffsets().get(tp).offset());
        t.finished(tp, 13);
        assertEquals(15, t.safeOffsets().get(tp).offset());
        assertEquals(0, t.inFlight());
    }

    @Test
    void aSliceIsFinishedWhenEachOfItsTasksIs() {
        OffsetTracker t = new OffsetTracker();
        t.received(tp, 0, 3);
        t.received(tp, 1);
        assertEquals(4, t.inFlight(), "tasks count, not records");
        t.finished(tp, 1);
        t.finished(tp, 0, 2);
        t.finished(tp, 0, 2);
        t.finished(tp, 0, 0);
        assertEquals(1, t.inFlight());
        assertEquals(0, t.safeOffsets().get(tp).offset(), "one task of the slice has not reported");
        t.finished(tp, 0, 1);
        assertEquals(0, t.inFlight());
        assertEquals(2, t.safeOffsets().get(tp).offset());
    }

    @Test
    void aSliceWithATaskHandedBackStaysUnfinishedForTheNextOwner() {
        OffsetTracker t = new OffsetTracker();
        t.received(tp, 0, 2);
        t.finished(tp, 0, 0);
        t.handedBack(tp, 0, 1);
        t.handedBack(tp, 0, 1);
        t.handedBack(tp, 0, 0); // reported before: not in flight any more
        assertEquals(0, t.inFlight());
        assertEquals(0, t.safeOffsets().get(tp).offset(), "the next owner runs the slice again");
        t.received(tp, 1, 2);
        t.forget(List.of(tp));
        assertEquals(0, t.inFlight());
    }

    @Test
    void finishingTwiceCountsOnce() {
        OffsetTracker t = new OffsetTracker();
        t.received(tp, 0);
        t.finished(tp, 0);
        t.received(tp, 1);
        t.finished(tp, 1);
        t.finished(tp, 1);
        assertEquals(2, t.safeOffsets().get(tp).offset());
        assertEquals(0, t.inFlight());
    }

    @Test
    void revokedPartitionsAreForgottenWithTheirInFlightCount() {
        OffsetTracker t = new OffsetTracker();
        t.received(tp, 0);
        t.received(tp, 1);
        t.forget(List.of(tp));
        assertEquals(0, t.inFlight());
        t.finished(tp, 0); // a late finish from the old owner's task changes nothing
        assertEquals(0, t.inFlight());
        assertEquals(null, t.safeOffsets().get(tp));
    }

    @Test
    void aRecordHandedBackAndThenForgottenLeavesTheCountOnce() {
        OffsetTracker t = new OffsetTracker();
        t.received(tp, 0);
        t.received(tp, 1);
        t.received(tp, 2);
        t.handedBack(tp, 0, 0);
        t.handedBack(tp, 0, 0);
        assertEquals(2, t.inFlight());
        assertEquals(0, t.safeOffsets().get(tp).offset(), "a record handed back is still unfinished");
        t.forget(List.of(tp));
        assertEquals(0, t.inFlight(), "a graceful stop's drain must not end before its running tasks do");
        t.received(new TopicPartition("tasks", 1), 0);
        assertEquals(1, t.inFlight());
    }

    /** Producer callbacks finish records while the poll thread reads the safe offsets: never an error, never a lost count. */
    @Test
    void finishingWhileTheSafeOffsetsAreReadIsSafe() throws Exception {
        OffsetTracker t = new OffsetTracker();
        int rounds = 200_000;
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread finisher = Thread.ofPlatform().start(() -> {
            try {
                for (long o = 0; o < rounds; o++) {
                    t.received(tp, o);
                    t.finished(tp, o);
                }
            } catch (Throwable e) {
                error.set(e);
            }
        });
        while (finisher.isAlive()) {
            try {
                OffsetAndMetadata safe = t.safeOffsets().get(tp);
                assertTrue(safe == null || safe.offset() <= rounds);
            } catch (Throwable e) {
                error.set(e);
                break;
            }
        }
        finisher.join();
        assertNull(error.get(), () -> "safeOffsets failed: " + error.get());
        assertEquals(rounds, t.safeOffsets().get(tp).offset());
        assertEquals(0, t.inFlight());
    }
}
