package io.fanout.executor.runtime;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireFormatException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class PoisonRecordsTest {

    /** A dead letter the brokers did not take is sent again; the record is settled only once one is acknowledged. */
    @Test
    void aDeadLetterThatWasNotAcknowledgedIsSentAgainAndOnlyThenSettled() {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        PoisonRecords poison = new PoisonRecords(producer, TopicNames.defaults(), "e");
        AtomicInteger settled = new AtomicInteger();
        poison.deadLetter(new ConsumerRecord<>("fanout.tasks", 0, 7, null, new byte[] {42}), new WireFormatException("garbage"), settled::incrementAndGet);
        producer.errorNext(new TimeoutException("injected: the brokers were away"));
        assertEquals(0, settled.get());
        await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == 2);
        producer.completeNext();
        assertEquals(1, settled.get());
        assertEquals("POISON", DeadLetterHeaders.text(producer.history().get(1).headers(), DeadLetterHeaders.REASON));
    }
}
