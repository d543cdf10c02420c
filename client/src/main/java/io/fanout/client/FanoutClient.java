package io.fanout.client;

import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Submits jobs and follows them, over Kafka only: requests go to the jobs topic as JSON, progress
 * and outcomes come back on the job-events topic. Follows events from the moment it connects, so
 * connect before submitting the jobs you want to await.
 */
public final class FanoutClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FanoutClient.class);

    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicNames topics;
    private final Map<UUID, BlockingQueue<JobEvent>> watched = new ConcurrentHashMap<>();
    private final Thread listener;
    private volatile boolean running = true;

    private FanoutClient(Map<String, Object> kafka, TopicNames topics) {
        this.topics = topics;
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fanout-client");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0); // a submit is one record: waiting for others only delays it (Kafka 4's default is 5 ms)
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fanout-client-events");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.jobEvents()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition()))
                    .toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topics.jobEvents() + " does not exist: provision the topics first (fanout topics apply)");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fixes the start point now, before any submit
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            closeClients();
            throw new IllegalStateException("Kafka at " + kafka.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) + " did not answer within "
                    + c.getOrDefault(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000) + " ms: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeClients();
            throw e;
        }
        this.listener = Thread.ofPlatform().daemon().name("fanout-client-events").start(this::listen);
    }

    /** Closes the producer and the consumer of a client that could not be set up. */
    private void closeClients() {
        producer.close(Duration.ZERO);
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
    }

    public static FanoutClient connect(Map<String, Object> kafka, TopicNames topics) {
        return new FanoutClient(kafka, topics);
    }

    public static FanoutClient connect(String bootstrapServers, TopicNames topics) {
        return connect(Map.of("bootstrap.servers", bootstrapServers), topics);
    }

    /**
     * Follows a job's events from now on, so a later {@link #await} sees them: for a job submitted
     * elsewhere, or one about to be reopened by replaying its dead letters.
     */
    public void follow(UUID jobId) {
        watched.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
    }

    /** Sends the request and returns its job id once Kafka has it. The job's events are followed from now on. */
    public UUID submit(JobRequest request) {
        return send(request.id(), JobRequests.toJson(request), "job");
    }

    /**
     * Sends a workflow run request and returns the run id once Kafka has it. The run's events (its
     * nodes', and its outcome) are followed from now on: {@link #await} the run id for its outcome.
     */
    public UUID run(WorkflowRunRequest request) {
        return send(request.runId(), request.toJson(), "workflow run");
    }

    /** Sends a request keyed by its id to the jobs topic, following the id's events from now on. */
    private UUID send(UUID id, byte[] request, String what) {
        follow(id);
        try {
            producer.send(new ProducerRecord<>(topics.jobs(), id.toString().getBytes(StandardCharsets.UTF_8), request)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while submitting " + what + " " + id, e);
        } catch (ExecutionException e) {
            watched.remove(id);
            throw new IllegalStateException(what + " " + id + " was not accepted by Kafka: " + e.getCause().getMessage(), e.getCause());
        }
        return id;
    }

    /**
     * Waits for the job's final event (SUCCEEDED, FAILED or REJECTED), or a workflow run's (RUN_FINISHED or REJECTED), passing every event on the
     * way (progress included) to {@code onEvent}.
     */
    public JobEvent await(UUID jobId, Duration timeout, Consumer<JobEvent> onEvent) throws TimeoutException, InterruptedException {
        BlockingQueue<JobEvent> events = watched.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                JobEvent e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (e == null) {
                    throw new TimeoutException("job " + jobId + " did not finish within " + timeout);
                }
                onEvent.accept(e);
                if (e.isFinal()) {
                    return e;
                }
            }
        } finally {
            watched.remove(jobId);
        }
    }

    public JobEvent await(UUID jobId, Duration timeout) throws TimeoutException, InterruptedException {
        return await(jobId, timeout, e -> { });
    }

    private void listen() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    JobEvent event;
                    try {
                        event = Json.mapper().readValue(r.value(), JobEvent.class);
                    } catch (IOException e) {
                        log.warn("skipping unreadable job event at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                        continue;
                    }
                    if (event.jobId() != null) {
                        BlockingQueue<JobEvent> q = watched.get(event.jobId());
                        if (q != null) {
                            q.add(event);
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        listener.join(5000);
        producer.close(Duration.ofSeconds(5));
    }
}
