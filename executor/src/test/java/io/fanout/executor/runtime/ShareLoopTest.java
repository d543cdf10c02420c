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
    private final StrictShareConsumer consumer = new StrictShareConsumer();
    private StatusReporter reporter;
    private Thread thread;
    private ShareLoop loop;

    /**
     * Like Kafka's share consumer in explicit mode: a poll with a record of the last poll still
     * unacknowledged throws; a renewed record is delivered again by the next poll; the lock is short.
     */
    static final class StrictShareConsumer extends MockShareConsumer<byte[], byte[]> {
        private final List<ConsumerRecord<byte[], byte[]>> toDeliver = new ArrayList<>();
        private final Set<ConsumerRecord<byte[], byte[]>> outstanding = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<String> acknowledgements = new CopyOnWriteArrayList<>();

        synchronized void deliver(ConsumerRecord<byte[], byte[]> r) {
            toDeliver.add(r);
        }

        @Override
        public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
            if (!outstanding.isEmpty()) {
                throw new IllegalStateException("All records must be acknowledged in explicit acknowledgement mode.");
            }
            List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(toDeliver);
            toDeliver.clear();
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
            acknowledgements.add(r.offset() + ":" + type.name());
            if (type == AcknowledgeType.RENEW) {
                toDeliver.add(r); // delivered again once the renewal is through
            }
        }

        @Override
        public Optional<Integer> acquisitionLockTimeoutMs() {
            return Optional.of(400);
        }
    }

    private void start(Processor processor) {
        start(processor, Duration.ofSeconds(30));
    }

    private void start(Processor processor, Duration grace) {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        ExecutorConfig config = ExecutorConfig.builder().bootstrapServers("mock:9092").processor("p", processor).health(health)
                .taskSource(ExecutorConfig.TaskSource.SHARE).heartbeatInterval(Duration.ofSeconds(30)).concurrency(2).shutdownGrace(grace).build();
        reporter = new StatusReporter(producer, TOPICS, config.executorId(), health);
        TaskRunner runner = new TaskRunner(config.processors(), new MapSender(producer, TOPICS), config.kafka(), TOPICS, config.executorId(),
                config.pool(), config.clock());
        loop = new ShareLoop(consumer, config, runner, reporter, new PoisonRecords(producer, TOPICS, config.executorId()),
                new FanoutMeters(new SimpleMeterRegistry()));
        thread = Thread.ofPlatform().name("share-loop-under-test").start(loop);
    }

    private ConsumerRecord<byte[], byte[]> record(long offset, byte[] value) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, value);
    }

    private byte[] task() {
        UUID job = UUID.randomUUID();
        return WireCodec.encodeTask(new TaskRecord(job, UUID.randomUUID(), job, 0, 0, TaskKind.MAPPED, "p", "t", PayloadFormat.NONE, null, 0, 0,
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
        consumer.deliver(record(0, task()));
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy()).until(() -> consumer.acknowledgements.contains("0:ACCEPT"));
        assertEquals(1, runs.get(), "a renewed record delivered again is not run again");
        long renewals = consumer.acknowledgements.stream().filter("0:RENEW"::equals).count();
        assertTrue(renewals >= 1 && renewals <= 10, () -> "renewed " + renewals + " times in a second: with nothing new to take, the loop waits");
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    @Test
    void anUnreadableRecordIsRejectedOnceDeadLetteredAndTheNextRuns() {
        AtomicInteger runs = new AtomicInteger();
        start(ctx -> runs.incrementAndGet());
        consumer.deliver(record(0, new byte[] {42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        consumer.deliver(record(1, task()));
        await().atMost(Duration.ofSeconds(10)).failFast(() -> !health.healthy())
                .until(() -> consumer.acknowledgements.containsAll(List.of("0:REJECT", "1:ACCEPT")));
        assertEquals(1, runs.get());
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }

    /** A task that finishes during a graceful stop is accepted, not released to run again elsewhere. */
    @Test
    void aTaskFinishedDuringAGracefulStopIsAcceptedNotReleased() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        start(ctx -> {
            started.countDown();
            Thread.sleep(500);
            return 1L;
        }, Duration.ofSeconds(10));
        consumer.deliver(record(0, task()));
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS));
        loop.stop();
        thread.join(10_000);
        assertTrue(consumer.acknowledgements.contains("0:ACCEPT"), consumer.acknowledgements::toString);
        assertTrue(!consumer.acknowledgements.contains("0:RELEASE"), consumer.acknowledgements::toString);
        assertTrue(health.healthy(), () -> "the loop broke Kafka's rule: " + health.failure());
    }
}
