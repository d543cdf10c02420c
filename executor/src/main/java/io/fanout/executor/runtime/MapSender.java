package io.fanout.executor.runtime;

import io.fanout.shared.TopicNames;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends a map call's items to the owning coordinator as map requests on the status topic, in
 * batches, and returns only when every batch is acknowledged (acks=all): then the subtasks are
 * durable. The same partition carries the task's later status, so the coordinator always learns
 * of the children before the parent's completion.
 */
final class MapSender {

    static final int MAX_ITEMS_PER_BATCH = 2000;
    static final int MAX_BYTES_PER_BATCH = 512 * 1024;

    private final Producer<byte[], byte[]> producer;
    private final String topic;

    MapSender(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topic = topics.status();
    }

    long map(TaskRecord parent, int mapCall, Iterable<?> items, String taskName, PayloadCodec codec) {
        try {
            JobRequests.checkTaskName(taskName);
        } catch (InvalidJobRequestException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        byte[] key = parent.jobId().toString().getBytes(StandardCharsets.UTF_8);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<byte[]> batch = new ArrayList<>();
        long index = 0;
        long batchStart = 0;
        int bytes = 0;
        for (Object item : items) {
            if (item == null) {
                throw new IllegalArgumentException("map item " + index + " of task " + parent.taskId() + " is null");
            }
            byte[] payload = codec.encode(item);
            batch.add(payload);
            bytes += payload.length + 4;
            index++;
            if (batch.size() >= MAX_ITEMS_PER_BATCH || bytes >= MAX_BYTES_PER_BATCH) {
                sent.add(send(parent, key, mapCall, batchStart, taskName, batch));
                batchStart = index;
                batch = new ArrayList<>();
                bytes = 0;
            }
        }
        if (!batch.isEmpty()) {
            sent.add(send(parent, key, mapCall, batchStart, taskName, batch));
        }
        awaitAll(sent, parent, index);
        return index;
    }

    private Future<RecordMetadata> send(TaskRecord parent, byte[] key, int mapCall, long firstIndex, String taskName, List<byte[]> payloads) {
        MapRequest request = new MapRequest(parent.jobId(), parent.taskId(), mapCall, firstIndex, taskName, payloads);
        return producer.send(new ProducerRecord<>(topic, parent.statusPartition(), key, WireCodec.encodeStatus(request)));
    }

    private static void awaitAll(List<Future<RecordMetadata>> sent, TaskRecord parent, long items) {
        try {
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MapFailedException("map of " + items + " items by task " + parent.taskId() + " was interrupted before it was durable", e);
        } catch (ExecutionException e) {
            throw new MapFailedException("map of " + items + " items by task " + parent.taskId() + " was not acknowledged by Kafka: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }
}
