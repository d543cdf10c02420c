package io.fanout.coordinator.dispatch;

import io.fanout.coordinator.store.NewTask;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends tasks to their pool's task topic, keyed by task id so they spread over its partitions. A task is
 * dispatched once the future {@link #publish} returns is complete without error.
 */
public final class TaskPublisher {

    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;

    public TaskPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topics = topics;
    }

    public Future<RecordMetadata> publish(NewTask task, String processor, String pool, int statusPartition, ReduceInputRange reduceInput) {
        TaskRecord record = new TaskRecord(task.jobId(), task.taskId(), task.parentId(), 0, statusPartition, task.kind(), processor,
                task.taskName(), task.payloadFormat(), task.payload(), task.kind() == TaskKind.REDUCE ? reduceInput : null);
        return producer.send(new ProducerRecord<>(topics.tasks(pool), key(task.taskId()), WireCodec.encodeTask(record)));
    }

    private static byte[] key(UUID id) {
        return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
    }
}
