package io.fanout.coordinator.dispatch;

import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Publishes job events as JSON on the job-events topic, keyed by job id. */
public final class JobEventPublisher {

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public JobEventPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topic = topics.jobEvents();
    }

    public Future<RecordMetadata> publish(JobEvent event) {
        byte[] key = event.jobId() == null ? null : event.jobId().toString().getBytes(StandardCharsets.UTF_8);
        return producer.send(new ProducerRecord<>(topic, key, Json.toBytes(event)));
    }
}
