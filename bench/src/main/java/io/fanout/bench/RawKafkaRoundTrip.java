package io.fanout.bench;

import io.fanout.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The baseline: the least a Kafka-based executor must do per task. A producer writes N small
 * records; a consumer group of {@code answerers} members answers each with a status record (and
 * commits); a third consumer reads the answers. Same client settings as Fanout (acks=all,
 * idempotent producers, manual commits) and the same partition counts.
 */
final class RawKafkaRoundTrip {

    private final String bootstrap;
    private final int requestPartitions;
    private final int replyPartitions;
    private final int answerers;

    RawKafkaRoundTrip(String bootstrap, int requestPartitions, int replyPartitions, int answerers) {
        this.bootstrap = bootstrap;
        this.requestPartitions = requestPartitions;
        this.replyPartitions = replyPartitions;
        this.answerers = answerers;
    }

    /** Returns the elapsed nanoseconds from the first request sent to the last answer read. */
    long run(int n) throws Exception {
        String prefix = "bench-raw-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String requests = prefix + "requests";
        String replies = prefix + "replies";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(requests, Optional.of(requestPartitions), Optional.empty()),
                    new NewTopic(replies, Optional.of(replyPartitions), Optional.empty()))).all().get();
            new TopicProvisioner(admin).awaitLeaders(List.of(requests, replies));
        }
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch assigned = new CountDownLatch(answerers);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < answerers; i++) {
            threads.add(Thread.ofPlatform().name("bench-answerer-" + i).start(() -> answer(requests, replies, prefix + "answerers", stop, assigned)));
        }
        try (KafkaConsumer<byte[], byte[]> reader = consumer(null); KafkaProducer<byte[], byte[]> producer = producer()) {
            List<TopicPartition> parts = reader.partitionsFor(replies).stream()
                    .map(p -> new TopicPartition(replies, p.partition())).toList();
            reader.assign(parts);
            reader.seekToBeginning(parts);
            // the answering group is formed before the clock starts, as Fanout's executors are up before its job
            if (!assigned.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the answering consumers got no partitions within 60 s");
            }
            long start = System.nanoTime();
            Thread sender = Thread.ofPlatform().name("bench-requests").start(() -> {
                byte[] payload = new byte[32];
                for (int i = 0; i < n; i++) {
                    byte[] key = UUID.randomUUID().toString().getBytes();
                    producer.send(new ProducerRecord<>(requests, key, payload));
                }
                producer.flush();
            });
            long seen = 0;
            while (seen < n) {
                seen += reader.poll(Duration.ofMillis(100)).count();
            }
            long elapsed = System.nanoTime() - start;
            sender.join();
            return elapsed;
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    /** One hop, produce (acks=all) to consume, at a fixed rate: Kafka's own latency on this machine. Sorted nanoseconds. */
    long[] hopLatencies(int count, int ratePerSecond) throws Exception {
        String topic = "bench-hop-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(requestPartitions), Optional.empty()))).all().get();
            new TopicProvisioner(admin).awaitLeaders(List.of(topic));
        }
        try (KafkaConsumer<byte[], byte[]> reader = consumer(null); KafkaProducer<byte[], byte[]> producer = producer()) {
            List<TopicPartition> parts = reader.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            reader.assign(parts);
            reader.seekToEnd(parts);
            parts.forEach(reader::position);
            long[] latencies = new long[count];
            long interval = 1_000_000_000L / ratePerSecond;
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, UUID.randomUUID().toString().getBytes(), new byte[32]));
                int got = 0;
                while (got == 0) {
                    got = reader.poll(Duration.ofMillis(100)).count();
                }
                latencies[i] = System.nanoTime() - t0;
                java.util.concurrent.locks.LockSupport.parkNanos(t0 + interval - System.nanoTime());
            }
            java.util.Arrays.sort(latencies);
            return latencies;
        }
    }

    private void answer(String requests, String replies, String group, AtomicBoolean stop, CountDownLatch assigned) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(group); KafkaProducer<byte[], byte[]> p = producer()) {
            c.subscribe(List.of(requests), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty() && assigned.getCount() > 0) {
                        assigned.countDown();
                    }
                }
            });
            byte[] status = new byte[48];
            while (!stop.get()) {
                var records = c.poll(Duration.ofMillis(50));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    p.send(new ProducerRecord<>(replies, r.key(), status));
                }
                if (!records.isEmpty()) {
                    c.commitAsync();
                }
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
