package io.fanout.executor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
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
}
