package io.fanout.executor.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** How often finished tasks' offsets reach the broker: not after every task, but never later than a stop or a revocation. */
class OffsetCommitterTest {

    private final TopicPartition tp = new TopicPartition("tasks", 0);
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final OffsetTracker tracker = new OffsetTracker();
    private final OffsetCommitter committer = new OffsetCommitter(consumer, tracker, "test-executor");

    OffsetCommitterTest() {
        consumer.assign(List.of(tp));
        consumer.updateBeginningOffsets(Map.of(tp, 0L));
    }

    @Test
    void tasksFinishedInQuickSuccessionAreCommittedTogetherAtTheNextRound() throws Exception {
        tracker.received(tp, 0);
        tracker.received(tp, 1);
        tracker.finished(tp, 0);
        committer.commitAsync(); // the first round commits at once
        assertEquals(1, committed());

        tracker.finished(tp, 1);
        committer.commitAsync(); // within the interval: waits, with the next tasks' offsets
        assertEquals(1, committed());

        Thread.sleep(OffsetCommitter.COMMIT_EVERY_NANOS / 1_000_000 + 50);
        committer.commitAsync();
        assertEquals(2, committed());
    }

    @Test
    void aStopOrARevocationCommitsWhatFinishedAtOnce() {
        tracker.received(tp, 0);
        tracker.received(tp, 1);
        tracker.finished(tp, 0);
        committer.commitAsync();
        tracker.finished(tp, 1);
        committer.commitAsync();
        assertEquals(1, committed());

        committer.commitSync(List.of(tp));
        assertEquals(2, committed());
    }

    @Test
    void roundsWithNothingNewToCommitDoNotDelayTheNextCommit() throws Exception {
        tracker.received(tp, 0);
        committer.commitAsync();
        assertEquals(0, committed());
        Thread.sleep(OffsetCommitter.COMMIT_EVERY_NANOS / 1_000_000 + 50);
        for (int i = 0; i < 3; i++) {
            committer.commitAsync(); // the task still runs: nothing new
        }
        tracker.finished(tp, 0);
        committer.commitAsync();
        assertEquals(1, committed());
    }

    private Long committed() {
        OffsetAndMetadata om = consumer.committed(Set.of(tp)).get(tp);
        return om == null ? null : om.offset();
    }
}
