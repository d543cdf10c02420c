package io.fanout.coordinator.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.coordinator.store.TaskStore;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ResendLimitTest {

    private static TaskStore.Attempt attempt(int n) {
        return new TaskStore.Attempt(new UUID(0, 1), new UUID(0, 2), n);
    }

    @Test
    void anAttemptsRecordIsSentAgainAtMostThreeTimesWhileAnotherAttemptOfTheSameTaskHasItsOwnCount() {
        ResendLimit limit = new ResendLimit(UnreceivedTasks.MOST_SENDS);
        List<Boolean> first = IntStream.range(0, 5).mapToObj(i -> limit.allow(attempt(0))).toList();
        assertEquals(List.of(true, true, true, false, false), first);
        assertEquals(true, limit.allow(attempt(1)), "the next attempt is a new record");
    }

    @Test
    void pastTheCountsItKeepsItForgetsThemAllAndCountsAfresh() {
        ResendLimit limit = new ResendLimit(1);
        assertEquals(true, limit.allow(attempt(0)));
        assertEquals(false, limit.allow(attempt(0)));
        IntStream.range(1, ResendLimit.KEPT).forEach(i -> limit.allow(attempt(i)));
        assertEquals(false, limit.allow(attempt(0)), "still counted while the counts fit");
        limit.allow(attempt(ResendLimit.KEPT)); // one more than it keeps: every count goes
        assertEquals(true, limit.allow(attempt(0)));
    }
}
