package io.fanout.coordinator.dispatch;

import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.ControlOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Publishes orders for every executor on the control topic (JSON, keyed by job id). */
public final class ControlPublisher {

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public ControlPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topic = topics.control();
    }

    /** Tells executors to stop the job's running tasks and start none of its others. */
    public Future<RecordMetadata> cancel(UUID jobId) {
        return send(ControlOrder.CANCEL, jobId);
    }

    /** Tells executors to start none of the job's tasks and hand them back (running ones finish). */
    public Future<RecordMetadata> suspend(UUID jobId) {
        return send(ControlOrder.SUSPEND, jobId);
    }

    /** Tells executors to start the job's tasks again. */
    public Future<RecordMetadata> resume(UUID jobId) {
        return send(ControlOrder.RESUME, jobId);
    }

    private Future<RecordMetadata> send(String type, UUID jobId) {
        ControlOrder order = new ControlOrder(type, jobId, Instant.now().toString());
        return producer.send(new ProducerRecord<>(topic, jobId.toString().getBytes(StandardCharsets.UTF_8), Json.toBytes(order)));
    }
}
