package io.fanout.executor.runtime;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.api.Processor;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The executor's poll loop over Kafka's MockConsumer and MockProducer: the failure paths a real broker makes hard to reach on purpose. */
class PollLoopTest {

    private static final TopicNames TOPICS = TopicNames.defaults();
    private final TopicPartition tp = new TopicPartition(TOPICS.tasks("default"), 0);
    private final UUID job = UUID.randomUUID();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final ProcessHealth health = new ProcessHealth();
    private MockProducer<byte[], byte[]> producer;
    private StatusReporter reporter;
    private Thread thread;

    private PollLoop start(Processor processor, boolean acksAtOnce) {
        return start(processor, acksAtOnce, 500);
    }

    private PollLoop start(Processor processor, boolean acksAtOnce, int maxBuffered) {
        return start(processor, acksAtOnce, maxBuffered, b -> b);
    }

    private PollLoop start(Processor processor, boolean acksAtOnce, int maxBuffered, UnaryOperator<ExecutorConfig.Builder> options) {
        producer = new MockProducer<>(acksAtOnce, null, new ByteArraySerializer(), new ByteArraySerializer());
        ExecutorConfig config = options.apply(ExecutorConfig.builder().bootstrapServers("mock:9092").processor("p", processor).health(health)
                .heartbeatInterval(Duration.ofSeconds(30)).shutdownGrace(Duration.ofSeconds(5))
                .concurrency(Math.min(maxBuffered, ExecutorConfig.DEFAULT_CONCURRENCY)).maxBuffered(maxBuffered)).build();
        reporter = new StatusReporter(producer, TOPICS, config.executorId(), health);
        TaskRunner runner = new TaskRunner(config.processors(), new MapSender(producer, TOPICS), config.kafka(), TOPICS, config.executorId(),
                config.pool(), config.clock());
        PollLoop loop = new PollLoop(consumer, config, runner, reporter, new PoisonRecords(producer, TOPICS, config.executorId()),
                new FanoutMeters(new SimpleMeterRegistry()));
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(tp));
            consumer.updateBeginningOffsets(Map.of(tp, 0L));
            consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), 0, null, WireCodec.encodeTask(task())));
        });
        thread = Thread.ofPlatform().name("poll-loop-under-test").start(loop);
        return loop;
    }

    private TaskRecord task() {
        return new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null);
    }

    @AfterEach
    void stop() throws Exception {
        if (thread != null) {
            thread.interrupt();
            thread.join(10_000);
        }
        if (reporter != null) {
            reporter.close();
        }
    }

    /** The status events the executor has sent so far, in order. */
    private List<StatusEvent> sentEvents() {
        return producer.history().stream().filter(r -> r.topic().equals(TOPICS.status()))
                .flatMap(r -> WireCodec.decodeStatus(r.value()) instanceof StatusBatch b ? b.events().stream() : Stream.empty()).toList();
    }

    private Long committed() {
        OffsetAndMetadata om = consumer.committed(Set.of(tp)).get(tp);
        return om == null ? null : om.offset();
    }

    /**
     * A slice carries more tasks than the buffer holds: only as many start as it has room for, the
     * rest wait unreported; the slice's offset is committed once
     * each of its tasks has reported, and one failing task leaves its neighbours alone.
     */
    @Test
    void aSliceLargerThanTheBufferStartsWhatFitsAndIsCommittedWhenEachTaskReported() {
        CountDownLatch release = new CountDownLatch(1);
        List<TaskRecord> slice = Stream.generate(this::task).limit(6).toList();
        UUID failing = slice.get(4).taskId();
        start(ctx -> {
            release.await();
            if (ctx.taskId().equals(failing)) {
                throw new IllegalStateException("item 4 fails");
            }
            return 1L;
        }, true, 3);
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), 1, null, WireCodec.encodeSlice(slice))));
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().filter(e -> e.state() == TaskState.RUNNING).count() == 3);
        Set<UUID> sliceIds = slice.stream().map(TaskRecord::taskId).collect(Collectors.toSet());
        assertEquals(2, sentEvents().stream().map(StatusEvent::taskId).filter(sliceIds::contains).distinct().count(),
                "the buffer holds 3 (the first record's task, two of the slice's): the rest wait unreported");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(2).equals(committed()));
        Map<TaskState, Long> outcomes = sentEvents().stream().filter(e -> e.state().isTerminal())
                .collect(Collectors.groupingBy(StatusEvent::state, Collectors.counting()));
        assertEquals(Map.of(TaskState.SUCCEEDED, 6L, TaskState.FAILED, 1L), outcomes, "the first record's task, the slice's five, its failing one");
        assertEquals(7, sentEvents().stream().filter(e -> e.state() == TaskState.RUNNING).count());
        assertEquals(0, sentEvents().stream().filter(e -> e.state() == TaskState.RECEIVED).count(), "RUNNING says received: no report of its own");
        assertTrue(health.healthy());
    }

    /**
     * Nothing is reported on receipt (RUNNING says received): a task that waits for a slot is
     * reported RECEIVED by the heartbeat, so its coordinator knows an executor holds it.
     */
    @Test
    void aTaskWaitingForASlotIsReportedReceivedByTheHeartbeat() {
        CountDownLatch release = new CountDownLatch(1);
        List<TaskRecord> slice = Stream.generate(this::task).limit(3).toList();
        Set<UUID> sliceIds = slice.stream().map(TaskRecord::taskId).collect(Collectors.toSet());
        start(ctx -> {
            release.await();
            return 1L;
        }, true, 4, b -> b.concurrency(1).heartbeatInterval(Duration.ofMillis(100)));
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().anyMatch(e -> e.state() == TaskState.RUNNING)); // the first record's task has the slot
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), 1, null, WireCodec.encodeSlice(slice))));
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().filter(e -> e.state() == TaskState.RECEIVED)
                .map(StatusEvent::taskId).collect(Collectors.toSet()).equals(sliceIds));
        assertEquals(1, sentEvents().stream().filter(e -> e.state() == TaskState.RUNNING).map(StatusEvent::taskId).distinct().count(),
                "one slot: the first record's task runs, the slice's wait");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(2).equals(committed()));
        assertEquals(4, sentEvents().stream().filter(e -> e.state() == TaskState.SUCCEEDED).count());
    }

    /** A graceful stop gives back a slice's tasks that never started as it gives back those waiting for a slot: reported SUSPENDED, unstarted. */
    @Test
    void aGracefulStopGivesBackTheTasksOfASliceThatNeverStarted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<TaskRecord> slice = Stream.generate(this::task).limit(6).toList();
        PollLoop loop = start(ctx -> {
            release.await();
            return 1L;
        }, true, 3);
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), 1, null, WireCodec.encodeSlice(slice))));
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().filter(e -> e.state() == TaskState.RUNNING).count() == 3);
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
            try {
                loop.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().filter(e -> e.state() == TaskState.SUSPENDED).count() == 4);
        release.countDown();
        stopped.get(20, TimeUnit.SECONDS);
        assertEquals(3, sentEvents().stream().filter(e -> e.state() == TaskState.SUCCEEDED).count(), "what ran finished");
        assertEquals(3, sentEvents().stream().filter(e -> e.state() == TaskState.RUNNING).count(), "the four given back never started");
        assertTrue(health.healthy());
    }

    @Test
    void anErrorThatEndsThePollLoopMakesTheExecutorUnhealthy() throws Exception {
        start(ctx -> null, true);
        consumer.setPollException(new KafkaException("injected: the consumer cannot go on"));
        thread.join(10_000);
        assertFalse(thread.isAlive(), "the loop ended");
        assertFalse(health.healthy(), "an executor whose poll loop died must not look healthy");
        assertEquals("executor poll loop", health.failure().thread());
    }

    @Test
    void aStatusTheBrokersDidNotTakeIsSentAgainAndOnlyThenIsTheOffsetCommitted() {
        start(ctx -> 42L, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> sentEvents().stream().anyMatch(e -> e.state() == TaskState.SUCCEEDED));
        while (producer.errorNext(new TimeoutException("injected: the brokers were away past delivery.timeout.ms"))) {
            // every send so far fails
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            while (producer.completeNext()) {
                // the resends go through
            }
            return Long.valueOf(1).equals(committed());
        });
        assertEquals(2, sentEvents().stream().filter(e -> e.state() == TaskState.SUCCEEDED).count(), "the success was reported again");
        assertTrue(health.healthy());
    }

    @Test
    void aGracefulStopNeverReportsARunningTaskFailed() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        PollLoop loop = start(ctx -> {
            started.countDown();
            Thread.sleep(60_000); // interrupted by the stop
            return null;
        }, true);
        assertTrue(started.await(10, TimeUnit.SECONDS));
        consumer.schedulePollTask(() -> consumer.rebalance(List.of())); // its partition moves to another member, which runs the task again
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
            try {
                loop.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopped.get(30, TimeUnit.SECONDS);
        thread.join(10_000);
        reporter.close();
        assertTrue(sentEvents().stream().noneMatch(e -> e.state().isFailure()), () -> "a stop cost the task an attempt: " + sentEvents());
    }

    @Test
    void mapFromTwoThreadsAtOnceIsRefusedWithAClearError() throws Exception {
        producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        RunningTask ctx = new RunningTask(new TaskRecord(job, job, null, 0, 0, TaskKind.ROOT, "p", TaskKind.ROOT_TASK_NAME, PayloadFormat.NONE, null,
                0, 0, List.of(), null), new PayloadCodec(List.of()), new MapSender(producer, TOPICS), "e", 1);
        CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> ctx.map(List.of(1, 2, 3), "square"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !producer.history().isEmpty()); // the first call waits for its acknowledgement
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.map(List.of(4), "square"));
        assertTrue(e.getMessage().contains("two threads"), e.getMessage());
        while (!first.isDone()) {
            producer.completeNext();
        }
        assertEquals(3, first.get());
    }
}
