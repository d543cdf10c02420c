package io.fanout.executor.runtime;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.api.Processor;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The share loop against a share consumer that holds it to Kafka's explicit-acknowledgement rules. */
class ShareLoopTest {

    private static final TopicNames TOPICS = TopicNames.defaults();
    private final TopicPartition tp = new TopicPartition(TOPICS.tasks("default"), 0);
    private final ProcessHealth health = new ProcessHealth();
    private final MockShareGroup group = new MockShareGroup();
    /** The loop's share consumers, when a test makes its own. */
    private java.util.function.IntFunction<org.apache.kafka.clients.consumer.ShareConsumer<byte[], byte[]>> consumers;
    private StatusReporter reporter;
    private MockProducer<byte[], byte[]> producer;
    private Thread thread;
    private ShareLoop loop;

    /** The records of a share group's topic not yet handed out, and every acknowledgement its members sent. */
    static final class MockShareGroup {
        private final List<ConsumerRecord<byte[], byte[]>> available = new ArrayList<>();
        final List<String> acknowledgements = new CopyOnWriteArrayList<>();
        /** When set, every member's next poll throws it. */
        volatile RuntimeException pollFailure;

        synchronized void deliver(ConsumerRecord<byte[], byte[]> r) {
            available.add(r);
        }

        synchronized List<ConsumerRecord<byte[], byte[]>> take(int max) {
            List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(available.subList(0, Math.min(max, available.size())));
            available.subList(0, batch.size()).clear();
            return batch;
        }
    }

    /**
     * Like Kafka's share consumer in explicit mode: a poll with a record of the last poll still
     * unacknowledged throws; acknowledgements reach the group with the next poll, a commit or the
     * close; a renewed record is delivered again by the next poll, and while any is, that poll
     * brings nothing new; the lock is short.
     */
    static final class StrictShareConsumer extends MockShareConsumer<byte[], byte[]> {
        private final MockShareGroup group;
        private final int maxPollRecords;
        private final List<ConsumerRecord<byte[], byte[]>> renewed = new ArrayList<>();
        private final Set<ConsumerRecord<byte[], byte[]>> outstanding = Collections.newSetFromMap(new IdentityHashMap<>());
        private final List<String> unsent = new ArrayList<>();

        StrictShareConsumer(MockShareGroup group, int maxPollRecords) {
            this.group = group;
            this.maxPollRecords = maxPollRecords;
        }

        @Override
        public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
            if (!outstanding.isEmpty()) {
                throw new IllegalStateException("All records must be acknowledged in explicit acknowledgement mode.");
            }
            if (group.pollFailure != null) {
                throw group.pollFailure;
            }
            send();
            List<ConsumerRecord<byte[], byte[]>> batch = renewed.isEmpty() ? group.take(maxPollRecords) : new ArrayList<>(renewed);
            renewed.clear();
            outstanding.addAll(batch);
            try {
                wait(batch.isEmpty() ? 5 : 0, batch.isEmpty() ? 0 : 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return batch.isEmpty() ? ConsumerRecords.empty() : new ConsumerRecords<>(Map.of(new TopicPartition(batch.get(0).topic(), batch.get(0).partition()), batch));
        }

        @Override
        public synchronized void acknowledge(ConsumerRecord<byte[], byte[]> r, AcknowledgeType type) {
            if (!outstanding.remove(r)) {
                throw new IllegalStateException("The record cannot be acknowledged.");
            }
            unsent.add(r.offset() + ":" + type.name());
            if (type == AcknowledgeType.RENEW) {
                renewed.add(r); // delivered again once the renewal is through
            }
        }

        private void send() {
            group.acknowledgements.addAll(unsent);
            unsent.clear();
        }

        @Override
        public synchronized Map<org.apache.kafka.common.TopicIdPartition, Optional<org.apache.kafka.common.KafkaException>> commitSync(Duration timeout) {
            send();
            return Map.of();
        }

        @Override
        public synchronized void commitAsync() {
            send();
        }

        @Override
        public synchronized void close(Duration timeout) {
            send();
            super.close(timeout);
        }

        @Override
        public Optional<Integer> acquisitionLockTimeoutMs() {
            return Optional.of(400);
        }
    }

    private void start(Processor processor) {
        start(processor, Duration.ofSeconds(30), 2);
    }

    private void start(Processor processor, Duration grace, int concurrency) {
        start(processor, grace, concurrency, Math.max(4 * concurrency, 500));
    }

    private void start(Processor processor, Duration grace, int concurrency, int maxBuffered) {
        producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        ExecutorConfig config = ExecutorConfig.builder().bootstrapServers("mock:9092").processor("p", processor).health(health)
                .taskSource(ExecutorConfig.TaskSource.SHARE).heartbeatInterval(Duration.ofSeconds(30)).concurrency(concurrency).maxBuffered(maxBuffered)
                .shutdownGrace(grace).build();
        reporter = new StatusReporter(producer, TOPICS, config.executorId(), health);
        TaskRunner runner = new TaskRunner(config.processors(), new MapSender(producer, TOPICS), config.kafka(), TOPICS, config.executorId(),
                config.pool(), config.clock());
        loop = new ShareLoop(consumers != null ? consumers : member -> new StrictShareConsumer(group, concurrency), config, runner, reporter, new PoisonRecords(producer, TOPICS, config.executorId()),
                new FanoutMeters(new SimpleMeterRegistry()));
        thread = Thread.ofPlatform().name("share-loop-under-test").start(loop);
    }

    private ConsumerRecord<byte[], byte[]> record(long offset, byte[] value) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, value);
    }

    private final UUID firstLong = UUID.randomUUID();
    private final UUID secondLong = UUID.randomUUID();

    private byte[] task() {
        return task(UUID.randomUUID());
    }

    private byte[] task(UUID taskId) {
        UUID job = UUID.randomUUID();
        return WireCodec.encodeTask(new TaskRecord(job, taskId, job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0,
                List.of(), null));
    }

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            loop.stop();
            thread.join(10_000);
        }
        if (reporter != null) {
            reporter.close();
        }
    }

    @Test
    void aTaskLongerThanTheLockIsRenewedRunsOnceAndIsAcceptedOnceReported() {
        AtomicInteger runs = new AtomicInteger();
        start(ctx -> {
            runs.incrementAndGet();
            Thread.sleep(1_000); // longer than the 400 ms lock: renewed, and delivered again, while it runs
            return 1L;
        });
        group.deliver(record(0, task()));
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy()).until(() -> group.acknowledgements.contains("0:ACCEPT"));
        assertEquals(1, runs.get(), "a renewed record delivered again is not run again");
        long renewals = group.acknowledgements.stream().filter("0:RENEW"::equals).count();
        assertTrue(renewals >= 1 && renewals <= 10, () -> "renewed " + renewals + " times in a second: with nothing new to take, the loop waits");
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** A slice is accepted once each of its tasks has reported, a failing one included; none runs twice. */
    @Test
    void aSliceIsAcceptedOnceEachOfItsTasksHasReported() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        UUID job = UUID.randomUUID();
        List<TaskRecord> slice = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slice.add(new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null));
        }
        UUID slow = slice.get(1).taskId();
        UUID failing = slice.get(2).taskId();
        Map<UUID, AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();
        start(ctx -> {
            runs.computeIfAbsent(ctx.taskId(), id -> new AtomicInteger()).incrementAndGet();
            if (ctx.taskId().equals(slow)) {
                release.await();
            }
            if (ctx.taskId().equals(failing)) {
                throw new IllegalStateException("this one fails");
            }
            return 1L;
        }, Duration.ofSeconds(10), 4);
        group.deliver(record(0, WireCodec.encodeSlice(slice)));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.size() == 4);
        Thread.sleep(200); // the three others have reported by now: the slice still waits for the slow one
        assertTrue(group.acknowledgements.stream().noneMatch(a -> a.equals("0:ACCEPT") || a.equals("0:RELEASE")), group.acknowledgements::toString);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy()).until(() -> group.acknowledgements.contains("0:ACCEPT"));
        assertTrue(runs.values().stream().allMatch(n -> n.get() == 1), runs::toString);
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** Slices carry more tasks than the buffer holds: only as many start (and are reported received) as it has room for. */
    @Test
    void slicesLargerThanTheBufferStartWhatFitsAndEveryTaskRunsOnce() {
        CountDownLatch release = new CountDownLatch(1);
        Map<UUID, AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();
        start(ctx -> {
            runs.computeIfAbsent(ctx.taskId(), id -> new AtomicInteger()).incrementAndGet();
            release.await();
            return 1L;
        }, Duration.ofSeconds(10), 2, 4);
        for (int offset = 0; offset < 4; offset++) {
            UUID job = UUID.randomUUID();
            List<TaskRecord> slice = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                slice.add(new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null));
            }
            group.deliver(record(offset, WireCodec.encodeSlice(slice)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.size() == 2 && loop.attempts().waiting() + loop.attempts().running() == 4);
        await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> true);
        assertTrue(loop.attempts().waiting() + loop.attempts().running() <= 4, "the buffer holds four: two running, two waiting for a slot");
        release.countDown();
        await().atMost(Duration.ofSeconds(20)).failFast(() -> !health.healthy())
                .until(() -> group.acknowledgements.containsAll(List.of("0:ACCEPT", "1:ACCEPT", "2:ACCEPT", "3:ACCEPT")));
        assertEquals(32, runs.size());
        assertTrue(runs.values().stream().allMatch(n -> n.get() == 1), runs::toString);
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** A stop gives back at once the tasks that wait for room in the buffer: reported SUSPENDED, unstarted, not held till the grace ends. */
    @Test
    void aStopGivesBackTheTasksWaitingForRoomAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        start(ctx -> {
            runs.incrementAndGet();
            Thread.sleep(20); // a task's work: the rest wait their turn
            return 1L;
        }, Duration.ofSeconds(30), 1, 1);
        UUID job = UUID.randomUUID();
        List<TaskRecord> slice = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            slice.add(new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null));
        }
        group.deliver(record(0, WireCodec.encodeSlice(slice)));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 1);
        long before = System.nanoTime();
        loop.stop();
        thread.join(20_000);
        assertTrue(System.nanoTime() - before < Duration.ofSeconds(15).toNanos(), "the stop did not wait out its 30 s grace");
        assertTrue(runs.get() < 50, "some tasks were given back unrun: " + runs.get());
        assertTrue(group.acknowledgements.contains("0:ACCEPT"), () -> "the slice is settled: each task ran or went back: " + group.acknowledgements);
        loop = null;
    }

    @Test
    void anUnreadableRecordIsRejectedOnceDeadLetteredAndTheNextRuns() {
        AtomicInteger runs = new AtomicInteger();
        start(ctx -> runs.incrementAndGet());
        group.deliver(record(0, new byte[] {42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        group.deliver(record(1, task()));
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy())
                .until(() -> group.acknowledgements.containsAll(List.of("0:REJECT", "1:ACCEPT")));
        assertEquals(1, runs.get());
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /**
     * A member takes nothing new while a record of its last poll is undecided: two tasks longer than
     * the lock, each held by one of the first two members, must not stop the executor's free slots
     * from running the tasks that come after them.
     */
    @Test
    void tasksLongerThanTheLockDoNotHoldUpTheShortTasksBehindThem() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger longRunning = new AtomicInteger();
        start(ctx -> {
            if (ctx.taskId().equals(firstLong) || ctx.taskId().equals(secondLong)) {
                longRunning.incrementAndGet();
                release.await();
            }
            return 1L;
        }, Duration.ofSeconds(10), 4);
        group.deliver(record(0, task(firstLong)));
        await().atMost(Duration.ofSeconds(10)).until(() -> longRunning.get() == 1);
        group.deliver(record(1, task(secondLong)));
        await().atMost(Duration.ofSeconds(10)).until(() -> longRunning.get() == 2);
        for (int offset = 2; offset < 8; offset++) {
            group.deliver(record(offset, task()));
        }
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy())
                .until(() -> group.acknowledgements.containsAll(List.of("2:ACCEPT", "3:ACCEPT", "4:ACCEPT", "5:ACCEPT", "6:ACCEPT", "7:ACCEPT")));
        assertEquals(2, longRunning.get(), "the long tasks still run");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> group.acknowledgements.containsAll(List.of("0:ACCEPT", "1:ACCEPT")));
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** A running task's record is renewed every half lock even while other records wait for the executor's only slot. */
    @Test
    void aRunningTaskIsRenewedWhileOthersWaitForASlot() {
        AtomicInteger runs = new AtomicInteger();
        start(ctx -> {
            if (runs.incrementAndGet() == 1) {
                Thread.sleep(1_500); // several 400 ms locks
            }
            return 1L;
        }, Duration.ofSeconds(10), 1);
        group.deliver(record(0, task()));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        group.deliver(record(1, task()));
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy())
                .until(() -> group.acknowledgements.containsAll(List.of("0:ACCEPT", "1:ACCEPT")));
        long renewals = group.acknowledgements.stream().filter("0:RENEW"::equals).count();
        assertTrue(renewals >= 4, () -> "the running record was renewed " + renewals + " times in 1.5 s of 400 ms locks: " + group.acknowledgements);
        assertEquals(2, runs.get());
    }

    /** A record whose lock lapsed and that the broker delivered to another member of the same executor is not started again there. */
    @Test
    void aRecordDeliveredAgainToAnotherMemberIsNotRunAgain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        start(countedUntil(release, runs), Duration.ofSeconds(10), 2);
        byte[] value = task();
        group.deliver(record(0, value));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        group.deliver(record(0, value)); // the first member's lock lapsed: the other member gets it
        await().atMost(Duration.ofSeconds(10)).until(() -> group.acknowledgements.contains("0:RELEASE") || group.acknowledgements.stream()
                .filter("0:RENEW"::equals).count() >= 3);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy()).until(() -> group.acknowledgements.contains("0:ACCEPT"));
        assertEquals(1, runs.get(), "started once on this executor");
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** A member that breaks stops the executor's loop: what runs is handed back unreported, and nothing runs again here. */
    @Test
    void aBrokenMemberStopsTheLoopAndHandsBackWhatRuns() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        start(ctx -> {
            runs.incrementAndGet();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
            return 1L;
        }, Duration.ofSeconds(10), 2);
        byte[] value = task();
        group.deliver(record(0, value));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        group.pollFailure = new org.apache.kafka.common.KafkaException("the consumer broke");
        thread.join(20_000);
        assertTrue(!thread.isAlive(), "the loop stopped");
        assertTrue(!health.healthy(), "the executor is unhealthy");
        await().atMost(Duration.ofSeconds(10)).until(() -> interrupted.get() == 1); // interrupted before the loop ended; it sees so on its own thread
        assertTrue(!group.acknowledgements.contains("0:ACCEPT"), group.acknowledgements::toString);
        assertEquals(1, runs.get());
    }

    /** A member that breaks while a slice's tasks wait for room in the buffer: they go back to the coordinator unstarted, none runs later. */
    @Test
    void aBrokenMemberGivesBackTheTasksWaitingForRoom() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        start(countedUntil(release, runs), Duration.ofSeconds(10), 1, 1);
        UUID job = UUID.randomUUID();
        List<TaskRecord> slice = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slice.add(new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0, List.of(), null));
        }
        group.deliver(record(0, WireCodec.encodeSlice(slice)));
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        group.pollFailure = new org.apache.kafka.common.KafkaException("the consumer broke");
        thread.join(20_000);
        release.countDown();
        assertTrue(!thread.isAlive(), "the loop stopped");
        await().atMost(Duration.ofSeconds(10)).until(() -> suspendedReports() == 4);
        assertEquals(1, runs.get(), "the four waiting for room never ran");
        loop = null;
    }

    /** Counts its runs in {@code runs}, then waits for {@code release}. */
    private static Processor countedUntil(CountDownLatch release, AtomicInteger runs) {
        return ctx -> {
            runs.incrementAndGet();
            release.await();
            return 1L;
        };
    }

    /** How many tasks the executor reported SUSPENDED (given back unstarted). */
    private long suspendedReports() {
        return producer.history().stream().filter(r -> r.topic().equals(TOPICS.status()))
                .flatMap(r -> WireCodec.decodeStatus(r.value()) instanceof io.fanout.shared.wire.StatusMessage.StatusBatch b ? b.events().stream()
                        : java.util.stream.Stream.empty())
                .filter(e -> e.state() == io.fanout.shared.model.TaskState.SUSPENDED).count();
    }

    /** A loop that cannot make its share consumers marks the executor unhealthy and ends. */
    @Test
    void aLoopWithoutConsumersMarksTheExecutorUnhealthy() throws Exception {
        consumers = member -> {
            throw new org.apache.kafka.common.KafkaException("no share consumer: bad settings");
        };
        start(ctx -> 1L);
        thread.join(10_000);
        assertTrue(!thread.isAlive(), "the loop ended");
        assertTrue(!health.healthy(), "the executor is unhealthy");
    }

    /** A task that finishes during a graceful stop is accepted, not released to run again elsewhere. */
    @Test
    void aTaskFinishedDuringAGracefulStopIsAcceptedNotReleased() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        start(ctx -> {
            started.countDown();
            Thread.sleep(500);
            return 1L;
        }, Duration.ofSeconds(10), 2);
        group.deliver(record(0, task()));
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        loop.stop();
        thread.join(10_000);
        assertTrue(group.acknowledgements.contains("0:ACCEPT"), group.acknowledgements::toString);
        assertTrue(!group.acknowledgements.contains("0:RELEASE"), group.acknowledgements::toString);
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }
}
