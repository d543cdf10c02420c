package io.fanout.coordinator.dispatch;

import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Writes dead letters to the dead-letter topic: a task's record exactly as its failed attempt was
 * dispatched (same key, same bytes), or an unreadable record byte for byte, with headers that say
 * where it came from and why.
 */
public final class DeadLetterPublisher {

    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;

    public DeadLetterPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topics = topics;
    }

    public Future<RecordMetadata> publish(NewDeadLetter l) {
        TaskDispatch failed = new TaskDispatch(l.task(), l.attempt(), l.job(), l.reduceInput());
        DeadLetterHeaders headers = DeadLetterHeaders.of(DeadLetterHeaders.Reason.valueOf(l.reason()))
                .original(topics.tasks(l.job().pool()), l.failure().sourcePartition(), l.failure().sourceOffset())
                .exception(l.failure().errorClass(), l.failure().message(), l.failure().stackTrace())
                .text(DeadLetterHeaders.JOB, l.job().jobId().toString())
                .text(DeadLetterHeaders.TASK, l.task().taskId().toString())
                .text(DeadLetterHeaders.ATTEMPTS, Integer.toString(l.attempt() + 1))
                .text(DeadLetterHeaders.EXECUTOR, l.executorId())
                .text(DeadLetterHeaders.FIRST_FAILURE, l.firstFailedAt().toString())
                .text(DeadLetterHeaders.LAST_FAILURE, l.failedAt().toString());
        return producer.send(new ProducerRecord<>(topics.deadLetters(), null, TaskPublisher.key(l.task().taskId(), l.attempt()),
                WireCodec.encodeTask(failed.record()), headers.build()));
    }

    /** A record a replayed or parked letter owes: to the parking topic, or an unreadable record back where it came from. */
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
        return producer.send(record);
    }

    /** An input record of the coordinator (a status record) that could not be read. */
    public Future<RecordMetadata> publishUnreadable(ConsumerRecord<byte[], byte[]> r, Exception why, String coordinatorId) {
        StringWriter stack = new StringWriter();
        why.printStackTrace(new PrintWriter(stack));
        String now = Instant.now().toString();
        DeadLetterHeaders headers = DeadLetterHeaders.of(DeadLetterHeaders.Reason.POISON)
                .copy(r.headers())
                .original(r.topic(), r.partition(), r.offset())
                .exception(why.getClass().getName(), why.getMessage(), stack.toString())
                .text(DeadLetterHeaders.EXECUTOR, coordinatorId)
                .text(DeadLetterHeaders.FIRST_FAILURE, now)
                .text(DeadLetterHeaders.LAST_FAILURE, now);
        return producer.send(new ProducerRecord<>(topics.deadLetters(), null, r.key(), r.value(), headers.build()));
    }
}
