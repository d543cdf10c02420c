package io.fanout.executor.runtime;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class StatusReporterTest {

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());

    private List<StatusEvent> sent() {
        return producer.history().stream().flatMap(r -> WireCodec.decodeStatus(r.value()) instanceof StatusBatch b ? b.events().stream() : Stream.empty())
                .toList();
    }

    /**
     * The status topic refuses a record as too large: its events go again one per record, and the
     * one too large on its own becomes a failure of its task; both tasks are settled, nothing is
     * resent for ever.
     */
    @Test
    void aReportTheStatusTopicRefusesAsTooLargeFailsItsTaskAndTheOthersGetThrough() throws Exception {
        UUID job = UUID.randomUUID();
        UUID small = UUID.randomUUID();
        UUID large = UUID.randomUUID();
        AtomicInteger settled = new AtomicInteger();
        try (StatusReporter reporter = new StatusReporter(producer, TopicNames.defaults(), "e", new ProcessHealth())) {
            reporter.report(job, 0, StatusEvent.succeeded(small, 0, 1, false, new byte[] {1}, null), settled::incrementAndGet);
            reporter.report(job, 0, StatusEvent.succeeded(large, 0, 1, false, new byte[200_000], null), settled::incrementAndGet);
            // The topic refuses every record that holds the large result and takes the others, in the order they were sent, whether
            // the reporter sent the two reports in one record or in two.
            AtomicInteger answered = new AtomicInteger();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<ProducerRecord<byte[], byte[]>> history = producer.history();
                if (answered.get() < history.size()) {
                    if (history.get(answered.getAndIncrement()).value().length > 100_000) {
                        assertTrue(producer.errorNext(new RecordTooLargeException("injected: the status topic's max.message.bytes")));
                    } else {
                        assertTrue(producer.completeNext());
                    }
                }
                return settled.get() == 2;
            });
        }
        StatusEvent last = sent().get(sent().size() - 1);
        assertEquals(large, last.taskId());
        assertEquals(TaskState.FAILED, last.state());
        assertEquals(StatusReporter.RESULT_TOO_LARGE_CLASS, last.errorClass());
        assertTrue(last.errorMessage().contains("max.message.bytes"), last.errorMessage());
    }
}
