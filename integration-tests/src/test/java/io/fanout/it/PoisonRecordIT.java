package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.DeadLetters;
import io.fanout.examples.Greeter;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Records that are not Fanout records never crash an executor or a coordinator, nor block a partition: they become dead letters. */
class PoisonRecordIT {

    private static final int TASK_GARBAGE = 1000;
    private static final int STATUS_GARBAGE = 50;

    @Test
    void unreadableRecordsReachTheDeadLetterTopicWithReasonsWhileAJobOnTheSamePartitionsCompletes() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            for (int i = 0; i < TASK_GARBAGE; i++) {
                producer.send(new ProducerRecord<>(cluster.topics.tasks(), i % 2, null, ("garbage " + i).getBytes()));
                if (i % 20 == 0) {
                    producer.send(new ProducerRecord<>(cluster.topics.status(), i % 2, null, new byte[] {1, 99, 0}));
                }
            }
            producer.flush();
            UUID job = cluster.client().submit(JobRequests.builder(Greeter.NAME).params(Map.of("name", "after the garbage")).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("hello, after the garbage", outcome.result().asText());

            List<ConsumerRecord<byte[], byte[]>> letters = TopicRecords.read(cluster, cluster.topics.deadLetters(), TASK_GARBAGE + STATUS_GARBAGE,
                    Duration.ofMinutes(1));
            assertEquals(TASK_GARBAGE + STATUS_GARBAGE, letters.size());
            Set<String> tasksGarbage = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> l : letters) {
                assertEquals("POISON", DeadLetterHeaders.text(l.headers(), DeadLetterHeaders.REASON));
                assertEquals("io.fanout.shared.wire.WireFormatException", DeadLetterHeaders.text(l.headers(), DeadLetterHeaders.EXCEPTION_FQCN));
                if (cluster.topics.tasks().equals(DeadLetterHeaders.text(l.headers(), DeadLetterHeaders.ORIGINAL_TOPIC))) {
                    tasksGarbage.add(new String(l.value()));
                } else {
                    assertEquals(cluster.topics.status(), DeadLetterHeaders.text(l.headers(), DeadLetterHeaders.ORIGINAL_TOPIC));
                    assertTrue(Arrays.equals(new byte[] {1, 99, 0}, l.value()));
                }
            }
            assertEquals(TASK_GARBAGE, tasksGarbage.size(), "every garbage record, byte for byte, once");

            DeadLetters index = cluster.deadLetters();
            await().atMost(Duration.ofSeconds(30)).until(() -> index.list(new LetterQueries.Filter(null, null, null, null, 5000)).size()
                    == TASK_GARBAGE + STATUS_GARBAGE);
            DeadLetter first = index.list(new LetterQueries.Filter(null, "io.fanout.shared.wire.WireFormatException", null, null, 1)).get(0);
            assertEquals("POISON", first.reason());
            assertTrue(first.originalOffset() != null && first.dltOffset() != null);

            // Replayed, an unreadable record goes back where it came from, and (still unreadable) comes back as a new letter.
            assertTrue(index.replay(first.id(), "carol", false).done());
            assertEquals(DeadLetter.REPLAYED, index.show(first.id()).orElseThrow().letter().state());
            await().atMost(Duration.ofSeconds(30)).until(() -> index.list(new LetterQueries.Filter(null, null, null, null, 5000)).size()
                    == TASK_GARBAGE + STATUS_GARBAGE + 1);
            List<DeadLetter> all = index.list(new LetterQueries.Filter(null, null, null, null, 5000));
            DeadLetter again = all.get(all.size() - 1);
            assertEquals(first.originalTopic(), again.originalTopic());
            assertEquals(first.originalPartition(), again.originalPartition());
            assertTrue(again.originalOffset() > first.originalOffset());
        }
    }

    @Test
    void aRecordTheDatabaseRejectsGoesToTheDeadLetterTopicAndTheOthersAreApplied() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            try (Connection c = cluster.db().getConnection(); Statement st = c.createStatement()) {
                // a rule an operator might add, which one request breaks
                st.execute("""
                        CREATE FUNCTION refuse_job() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.processor = 'refused-by-db' THEN RAISE EXCEPTION 'processor refused by a database rule'; END IF;
                            RETURN NEW;
                        END $$""");
                st.execute("CREATE TRIGGER refuse_job BEFORE INSERT ON fanout_job FOR EACH ROW EXECUTE FUNCTION refuse_job()");
            }
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            cluster.client().submit(JobRequests.builder("refused-by-db").build());
            UUID fine = cluster.client().submit(JobRequests.builder(Greeter.NAME).params(Map.of("name", "next")).build());
            assertEquals("hello, next", cluster.client().await(fine, Duration.ofMinutes(1)).result().asText());

            ConsumerRecord<byte[], byte[]> letter = TopicRecords.read(cluster, cluster.topics.deadLetters(), 1, Duration.ofSeconds(30)).get(0);
            assertEquals(cluster.topics.jobs(), DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.ORIGINAL_TOPIC));
            assertTrue(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.EXCEPTION_MESSAGE).contains("processor refused by a database rule"));
            assertTrue(new String(letter.value()).contains("refused-by-db"), "the request's own bytes");
        }
    }

    /**
     * A garbage record that carries headers named like Fanout's (a task id that is not one, a
     * reason): its dead letter carries Fanout's true values only, and the index (which used to stop
     * for good on such a task id) indexes it and the letters after it.
     */
    @Test
    void aRecordWhoseHeadersImitateFanoutsIsDeadLetteredWithFanoutsTrueValuesAndIndexed() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            ProducerRecord<byte[], byte[]> spoof = new ProducerRecord<>(cluster.topics.tasks(), 0, null, "spoof".getBytes());
            spoof.headers().add(DeadLetterHeaders.TASK, "not-a-task-id".getBytes()).add(DeadLetterHeaders.REASON, "NON_RETRYABLE".getBytes())
                    .add("x-trace", "kept".getBytes());
            producer.send(spoof);
            producer.send(new ProducerRecord<>(cluster.topics.tasks(), 1, null, "plain garbage".getBytes()));
            producer.flush();

            List<ConsumerRecord<byte[], byte[]>> letters = TopicRecords.read(cluster, cluster.topics.deadLetters(), 2, Duration.ofMinutes(1));
            ConsumerRecord<byte[], byte[]> spoofed = letters.stream().filter(l -> new String(l.value()).equals("spoof")).findFirst().orElseThrow();
            assertEquals("POISON", DeadLetterHeaders.text(spoofed.headers(), DeadLetterHeaders.REASON));
            assertEquals(1, java.util.stream.StreamSupport.stream(spoofed.headers().headers(DeadLetterHeaders.REASON).spliterator(), false).count());
            assertEquals(null, DeadLetterHeaders.text(spoofed.headers(), DeadLetterHeaders.TASK));
            assertEquals("kept", DeadLetterHeaders.text(spoofed.headers(), "x-trace"), "the record's other headers are kept");

            // a letter written by someone else straight onto the dead-letter topic, with a task id that is not one
            ProducerRecord<byte[], byte[]> foreign = new ProducerRecord<>(cluster.topics.deadLetters(), 0, null, "foreign".getBytes());
            foreign.headers().add(DeadLetterHeaders.TASK, "not-a-task-id".getBytes());
            producer.send(foreign).get();
            DeadLetters index = cluster.deadLetters();
            await().atMost(Duration.ofSeconds(30)).until(() -> index.list(new LetterQueries.Filter(null, null, null, null, 10)).size() == 3);
        }
    }
}
