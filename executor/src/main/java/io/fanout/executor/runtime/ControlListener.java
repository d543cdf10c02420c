package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.json.Json;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.model.ControlOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the control topic, every record, in every executor (no consumer group): orders to cancel,
 * suspend or resume a job. At start it reads back an hour, so tasks of a job cancelled or suspended
 * just before this executor started are skipped or handed back too (a job's orders share a
 * partition, so they are applied in the order they were given).
 */
final class ControlListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControlListener.class);
    private static final Duration LOOK_BACK = Duration.ofHours(1);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final TaskSourceLoop loop;
    private final Thread thread;
    private final ProcessHealth health;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;

    ControlListener(ExecutorConfig config, TaskSourceLoop loop) {
        Map<String, Object> props = new HashMap<>(config.kafka());
        props.remove("group.id");
        props.put("enable.auto.commit", false);
        props.put("client.id", "fanout-executor-control-" + config.executorId());
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.topic = config.topics().control();
        this.loop = loop;
        this.health = config.health();
        this.thread = new Thread(this::run, "fanout-executor-control");
    }

    ControlListener start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> since = new HashMap<>();
            partitions.forEach(tp -> since.put(tp, Instant.now().minus(LOOK_BACK).toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(since);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp o = start.get(tp);
                if (o == null) {
                    consumer.seekToEnd(List.of(tp));
                } else {
                    consumer.seek(tp, o.offset());
                }
            }
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    apply(r);
                }
            }
        } catch (WakeupException e) {
            if (running) {
                health.failed("executor control listener", e);
            }
        } catch (RuntimeException | Error e) {
            log.error("control topic {} cannot be read: cancellations would not reach this executor", topic, e);
            health.failed("executor control listener", e);
        } finally {
            consumer.close();
            stopped.countDown();
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        try {
            ControlOrder order = Json.mapper().readValue(r.value(), ControlOrder.class);
            if (order.jobId() == null || order.type() == null) {
                return;
            }
            switch (order.type()) {
                case ControlOrder.CANCEL -> loop.attempts().cancelJob(order.jobId(), r.timestamp());
                case ControlOrder.SUSPEND -> loop.attempts().suspendJob(order.jobId());
                case ControlOrder.RESUME -> loop.attempts().resumeJob(order.jobId());
                default -> log.warn("ignoring control order of unknown type '{}' at {}@{}", order.type(), r.partition(), r.offset());
            }
        } catch (Exception e) {
            log.warn("ignoring unreadable control record {}@{}: {}", r.partition(), r.offset(), e.getMessage());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        stopped.await(10, TimeUnit.SECONDS);
    }
}
