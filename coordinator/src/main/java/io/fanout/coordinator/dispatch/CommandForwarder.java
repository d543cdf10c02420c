package io.fanout.coordinator.dispatch;

import io.fanout.shared.TopicNames;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Produces a command read on the wrong partition of the jobs topic again, byte for byte, to the
 * partition that owns its job (a client that keyed it otherwise than by the job id), so that the
 * job's owner carries it out in order with the job's other records.
 */
public final class CommandForwarder {

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    public CommandForwarder(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topic = topics.jobs();
    }

    public Future<RecordMetadata> forward(int partition, ConsumerRecord<byte[], byte[]> record) {
        return producer.send(new ProducerRecord<>(topic, partition, record.key(), record.value(), record.headers()));
    }
}
