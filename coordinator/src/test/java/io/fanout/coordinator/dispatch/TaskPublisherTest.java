package io.fanout.coordinator.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class TaskPublisherTest {

    private final JobRow job = new JobRow(UUID.randomUUID(), null, "squares", "default", JobState.RUNNING, 3, 0, 0, 0, false, RetryPolicy.DEFAULT,
            0, 0, 0, 0, 0, 0, true);
    private final List<TaskDispatch> tasks = IntStream.range(0, 200).mapToObj(i -> TaskDispatch.first(new NewTask(job.jobId(),
            TaskIds.children(TaskIds.root(job.jobId()), 0).apply(i), TaskIds.root(job.jobId()), TaskKind.MAPPED, "item", PayloadFormat.KRYO,
            new byte[] {(byte) i}), job)).toList();

    @Test
    void eachTaskGoesInOneRecordThatExecutorsRead() throws Exception {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        List<TaskPublisher.Sent> sent = new TaskPublisher(producer, TopicNames.defaults(), 64).publish(tasks);
        List<TaskDispatch> inRecords = sent.stream().flatMap(s -> s.tasks().stream()).toList();
        assertEquals(tasks.size(), inRecords.size());
        assertEquals(Set.copyOf(tasks), Set.copyOf(inRecords), "each task in one record");
        List<UUID> read = producer.history().stream().flatMap(r -> WireCodec.decodeTasks(r.value()).stream()).map(TaskRecord::taskId).toList();
        assertEquals(inRecords.stream().map(d -> d.task().taskId()).toList(), read, "records hold what the publisher says they hold");
        assertEquals(sent.size(), producer.history().size());
        assertTrue(sent.size() < tasks.size(), "sliced");
    }

    /** The topic's metadata cannot be had: the sends fail in their futures (and stay owed), nothing throws out of the publish. */
    @Test
    void unknownPartitionsFailTheSendsNotThePublish() {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            @Override
            public synchronized List<PartitionInfo> partitionsFor(String topic) {
                throw new TimeoutException("injected: no metadata within max.block.ms");
            }
        };
        List<TaskPublisher.Sent> sent = new TaskPublisher(producer, TopicNames.defaults(), 64).publish(tasks);
        assertEquals(tasks.size(), sent.stream().mapToInt(s -> s.tasks().size()).sum());
        while (producer.errorNext(new TimeoutException("injected: the brokers are away"))) {
            // every send fails
        }
        for (TaskPublisher.Sent s : sent) {
            assertTrue(s.ack().isDone());
            try {
                s.ack().get();
            } catch (ExecutionException | InterruptedException expected) {
                continue;
            }
            throw new AssertionError("a send the brokers never took was acknowledged");
        }
    }
}
