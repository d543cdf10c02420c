package io.fanout.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ExecutorConfigTest {

    @Test
    void aBadSettingFailsFastNamingIt() {
        assertEquals("executor setting 'concurrency' must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> ExecutorConfig.builder().concurrency(0)).getMessage());
        assertEquals("executor setting 'processors' is empty: register at least one processor",
                assertThrows(IllegalArgumentException.class, () -> ExecutorConfig.builder().bootstrapServers("k:9092").build()).getMessage());
        assertEquals("executor setting 'max-buffered' (2) must be at least 'concurrency' (4)",
                assertThrows(IllegalArgumentException.class, () -> ExecutorConfig.builder().bootstrapServers("k:9092")
                        .processor("p", ctx -> null).concurrency(4).maxBuffered(2).build()).getMessage());
        assertEquals("processor 'p' is registered twice",
                assertThrows(IllegalArgumentException.class, () -> ExecutorConfig.builder().processor("p", ctx -> null).processor("p", ctx -> null))
                        .getMessage());
    }

    @Test
    void theBufferDefaultsToFourTimesTheConcurrencyWithAFloor() {
        assertEquals(500, ExecutorConfig.builder().bootstrapServers("k:9092").processor("p", ctx -> null).concurrency(2).build().maxBuffered());
        assertEquals(800, ExecutorConfig.builder().bootstrapServers("k:9092").processor("p", ctx -> null).concurrency(200).build().maxBuffered());
    }

    @Test
    void eachPoolIsItsOwnConsumerGroup() {
        ExecutorConfig.Builder b = ExecutorConfig.builder().bootstrapServers("k:9092").processor("p", ctx -> null);
        assertEquals("fanout-executors", b.build().groupId());
        assertEquals("fanout-executors.gpu", b.pool("gpu").build().groupId());
        assertEquals("team-a.gpu", b.groupId("team-a").build().groupId());
        assertEquals("pool name 'GPU!' must be 1-63 of a-z 0-9 _ - (starting with a letter or digit)",
                assertThrows(IllegalArgumentException.class, () -> ExecutorConfig.builder().pool("GPU!")).getMessage());
    }
}
