package io.fanout.executor.runtime;

import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.TopicNames;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends task records that cannot be read to the dead-letter topic, byte for byte with their key
 * and headers, plus headers that say where they came from and why. The record's offset is released
 * only once the dead letter is acknowledged, so an unreadable record is never dropped and never
 * blocks its partition.
 */
final class PoisonRecords {

    private static final Logger log = LoggerFactory.getLogger(PoisonRecords.class);

    /** The pause before a dead letter the brokers did not take is sent again (until they do, the record stays unsettled). */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String executorId;

    PoisonRecords(Producer<byte[], byte[]> producer, TopicNames topics, String executorId) {
        this.producer = producer;
        this.topic = topics.deadLetters();
        this.executorId = executorId;
    }

    void deadLetter(ConsumerRecord<byte[], byte[]> r, Exception why, Runnable onAcked) {
        String now = Instant.now().toString();
        DeadLetterHeaders headers = DeadLetterHeaders.of(DeadLetterHeaders.Reason.POISON)
                .copy(r.headers())
                .original(r.topic(), r.partition(), r.offset())
                .exception(why.getClass().getName(), why.getMessage(), Failures.trim(Failures.stackTrace(why), Failures.MAX_STACK_CHARS))
                .text(DeadLetterHeaders.EXECUTOR, executorId)
                .text(DeadLetterHeaders.FIRST_FAILURE, now)
                .text(DeadLetterHeaders.LAST_FAILURE, now)
                .text(DeadLetterHeaders.DELIVERY_COUNT, r.deliveryCount().map(String::valueOf).orElse(null));
        producer.send(new ProducerRecord<>(topic, null, r.key(), r.value(), headers.build()), (meta, error) -> {
            if (error != null) {
                log.error("unreadable record {}-{}@{} could not be dead-lettered; trying again in {}", r.topic(), r.partition(), r.offset(),
                        RETRY_AFTER, error);
                CompletableFuture.delayedExecutor(RETRY_AFTER.toMillis(), TimeUnit.MILLISECONDS).execute(() -> deadLetter(r, why, onAcked));
                return;
            }
            onAcked.run();
        });
    }
}
