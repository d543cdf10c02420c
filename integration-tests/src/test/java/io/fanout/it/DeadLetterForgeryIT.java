package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.DeadLetters;
import io.fanout.coordinator.SweeperPolicy;
import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.deadletter.PartitionSweeper;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.json.Json;
import io.fanout.shared.metrics.FanoutMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 22, H2: whoever may write the dead-letter topic (every executor) chooses a letter's
 * original topic and failed-at. A letter naming a topic other than a task or status topic is
 * indexed but never sent there, by hand or by the sweeper, and a back-dated failed-at does not
 * make a letter old enough for the sweeper.
 */
class DeadLetterForgeryIT {

    private static final String FORGED_CLASS = "io.example.Forged";
    private static final String FORGED_EVENT = "{\"type\":\"SUCCEEDED\"}";

    @Test
    void aLetterNamingTheJobEventsTopicIsNeverReplayedThere() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, b -> b.sweeper(SweeperPolicy.DEFAULT.withEnabled(false)))) {
            long eventsBefore = endOffsets(cluster, cluster.topics.jobEvents());
            forge(cluster, cluster.topics.jobEvents(), Instant.parse("2000-01-01T00:00:00Z"), FORGED_EVENT);
            DeadLetters letters = cluster.deadLetters();
            DeadLetter letter = awaitLetter(letters, FORGED_CLASS);
            assertNull(letter.originalTopic(), "refused at index time: the letter keeps no topic to be sent to");

            List<LetterResult> byHand = letters.replayErrorClass(FORGED_CLASS, "mallory", false);
            assertFalse(byHand.get(0).done(), byHand.toString());
            List<LetterResult> bySweeper = sweepNow(cluster, letters, Duration.ZERO);
            assertTrue(bySweeper.stream().noneMatch(r -> r.letterId() == letter.id()), "the sweeper does not even pick it: " + bySweeper);
            List<ConsumerRecord<byte[], byte[]>> events = TopicRecords.read(cluster, cluster.topics.jobEvents(),
                    (int) endOffsets(cluster, cluster.topics.jobEvents()), Duration.ofSeconds(30));
            assertEquals(eventsBefore + 1, events.size(), "one event: the answer to the replay command");
            assertTrue(events.stream().noneMatch(r -> new String(r.value(), StandardCharsets.UTF_8).equals(FORGED_EVENT)), "the forged record never got there");
            assertEquals("REFUSED", Json.readTree(events.getLast().value()).path("type").asText());
        }
    }

    /** A row indexed before the check existed (or written around it) is refused where it is replayed. */
    @Test
    void aStoredLetterNamingTheControlTopicIsRefusedAtReplay() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, b -> b.sweeper(SweeperPolicy.DEFAULT.withEnabled(false)))) {
            long controlBefore = endOffsets(cluster, cluster.topics.control());
            Sql.execute(cluster.db(), "INSERT INTO fanout_dead_letter (letter_key, reason, error_class, failed_at, original_topic, record_value, "
                    + "owner_partition) VALUES ('forged-row', 'POISON', 'io.example.Stored', now(), ?, '\\x7b7d'::bytea, 0)", cluster.topics.control());
            DeadLetters letters = cluster.deadLetters();
            DeadLetter letter = awaitLetter(letters, "io.example.Stored");

            LetterResult byHand = letters.replay(letter.id(), "mallory", false);
            assertFalse(byHand.done());
            assertTrue(byHand.outcome().contains("only task topics"), byHand.outcome());
            assertTrue(sweepNow(cluster, letters, Duration.ZERO).stream().noneMatch(r -> r.letterId() == letter.id()));
            assertEquals(DeadLetter.DEAD, letters.show(letter.id()).orElseThrow().letter().state());
            assertEquals(controlBefore, endOffsets(cluster, cluster.topics.control()));
        }
    }

    @Test
    void aBackDatedFailedAtDoesNotSkipTheSweepersMinimumAge() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, b -> b.sweeper(SweeperPolicy.DEFAULT.withEnabled(false)))) {
            forge(cluster, cluster.topics.status(), Instant.parse("2000-01-01T00:00:00Z"), "garbage");
            DeadLetters letters = cluster.deadLetters();
            DeadLetter letter = awaitLetter(letters, FORGED_CLASS);
            assertEquals(cluster.topics.status(), letter.originalTopic(), "the status topic is a valid original topic");

            assertTrue(sweepNow(cluster, letters, Duration.ofHours(1)).isEmpty(), "indexed just now: younger than an hour");
            assertEquals(DeadLetter.DEAD, letters.show(letter.id()).orElseThrow().letter().state());
            assertTrue(sweepNow(cluster, letters, Duration.ZERO).stream().anyMatch(r -> r.letterId() == letter.id() && r.done()));
        }
    }

    /** Writes a letter as an executor could: no task header, any original topic, any failed-at. */
    private static void forge(FanoutCluster cluster, String originalTopic, Instant failedAt, String value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>(cluster.topics.deadLetters(), 0, (byte[]) null, value.getBytes(),
                    DeadLetterHeaders.of(DeadLetterHeaders.Reason.POISON).original(originalTopic, 0, 42)
                            .exception(FORGED_CLASS, "forged", "")
                            .text(DeadLetterHeaders.LAST_FAILURE, failedAt.toString()).build());
            producer.send(letter).get();
        }
    }

    private static DeadLetter awaitLetter(DeadLetters letters, String errorClass) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> letters.list(new LetterQueries.Filter(null, errorClass, null, null, 10)),
                l -> l.size() == 1).get(0);
    }

    /** One sweep of every partition's letters, as their owners' housekeeping runs it (in a transaction of the test's own). */
    private static List<LetterResult> sweepNow(FanoutCluster cluster, DeadLetters letters, Duration minAge) throws Exception {
        SweeperPolicy policy = new SweeperPolicy(Duration.ofSeconds(1), 3, minAge, List.of(), Duration.ofSeconds(30), true);
        PartitionSweeper sweeper = new PartitionSweeper(policy, new LetterActions(cluster.topics, new FanoutMeters(new SimpleMeterRegistry())),
                cluster.topics, "test", 0);
        try (Connection c = cluster.db().getConnection()) {
            c.setAutoCommit(false);
            List<LetterResult> results = sweeper.sweep(c, List.of(0, 1)).stream().map(LetterActions.Step::result).toList();
            c.commit();
            return results;
        }
    }

    private static long endOffsets(FanoutCluster cluster, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
