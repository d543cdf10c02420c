package io.fanout.coordinator.dispatch;

import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends tasks to their pool's task topic, keyed by task id so they spread over its partitions (a
 * retry's key adds its attempt, so it usually lands on another partition, away from an executor
 * that lost it); a slice (see {@link TaskSlices}) is keyed by its first task. A task is dispatched
 * once the future of the record that carries it is complete without error.
 */
public final class TaskPublisher {

    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;
    private final int sliceSize;

    /** @param sliceSize the most tasks one record carries (1: a record per task, which executors before slices read) */
    public TaskPublisher(Producer<byte[], byte[]> producer, TopicNames topics, int sliceSize) {
        if (sliceSize < 1) {
            throw new IllegalArgumentException("slice size must be at least 1, got " + sliceSize);
        }
        this.producer = producer;
        this.topics = topics;
        this.sliceSize = sliceSize;
    }

    /** One record sent: the task attempts it carries, and its acknowledgement. */
    public record Sent(List<TaskDispatch> tasks, Future<RecordMetadata> ack) {
    }

    /** Sends these attempts, a job's mapped tasks in slices; returns each record sent. */
    public List<Sent> publish(List<TaskDispatch> dispatches) {
        if (dispatches.isEmpty()) {
            return List.of();
        }
        List<List<TaskDispatch>> records = TaskSlices.of(dispatches, sliceSize, this::partitions);
        List<Sent> sent = new ArrayList<>(records.size());
        for (List<TaskDispatch> record : records) {
            sent.add(new Sent(record, send(record)));
        }
        return sent;
    }

    /** Sends one attempt in a record of its own. */
    public Future<RecordMetadata> publish(TaskDispatch d) {
        return send(List.of(d));
    }

    /**
     * The partitions of a pool's task topic, or 1 when its metadata cannot be had: a send to it
     * then fails in its future, as every send failure does, and is owed in the outbox; a throw here
     * would leave the caller's records unsent and unowed.
     */
    private int partitions(String pool) {
        try {
            return producer.partitionsFor(topics.tasks(pool)).size();
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private Future<RecordMetadata> send(List<TaskDispatch> record) {
        TaskDispatch first = record.get(0);
        byte[] value = record.size() == 1 ? WireCodec.encodeTask(first.record()) : WireCodec.encodeSlice(record.stream().map(TaskDispatch::record).toList());
        return producer.send(new ProducerRecord<>(topics.tasks(first.job().pool()), key(first.task().taskId(), first.attempt()), value));
    }

    static byte[] key(UUID id, int attempt) {
        ByteBuffer b = ByteBuffer.allocate(attempt == 0 ? 16 : 20).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
        if (attempt > 0) {
            b.putInt(attempt);
        }
        return b.array();
    }
}
