package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fanout.examples.Greeter;
import io.fanout.shared.Limits;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.TaskIds;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class SubmissionIT {

    @Test
    void submittingTheSameKeyTwiceCreatesOneJob() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            UUID first = cluster.client().submit(JobRequests.builder(Greeter.NAME).key("nightly-2026-11-21").build());
            JobEvent outcome = cluster.client().await(first, Duration.ofMinutes(1));
            UUID second = cluster.client().submit(JobRequests.builder(Greeter.NAME).key("nightly-2026-11-21").build());

            assertEquals(first, second);
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            // the duplicate's effect (none) is only visible once the coordinator has applied every job request
            CoordinatorProgress.awaitApplied(cluster, cluster.topics.jobs());
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE client_key = ?", "nightly-2026-11-21"));
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", first));
        }
    }

    @Test
    void anyKafkaProducerCanSubmitAJsonJobRequest() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<String, String> plain = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new StringSerializer(), new StringSerializer())) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            UUID expectedId = TaskIds.jobIdForKey("from-python");
            cluster.client(); // follow events from now on
            plain.send(new ProducerRecord<>(cluster.topics.jobs(), "any-key", """
                    {"key": "from-python", "processor": "greet", "params": {"name": "Grace"}}
                    """)).get();
            JobEvent outcome = cluster.client().await(expectedId, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals("hello, Grace", outcome.result().asText());
        }
    }

    @Test
    void malformedRequestsAreRejectedWithReasonsAndTheCoordinatorCarriesOn() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, Set.of(Greeter.NAME));
             KafkaProducer<String, String> plain = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new StringSerializer(), new StringSerializer());
             KafkaConsumer<byte[], byte[]> events = new KafkaConsumer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            List<String> bad = List.of(
                    "this is not json",
                    "[1, 2]",
                    "{\"params\": {}}",
                    "{\"processor\": \"greet\", \"colour\": \"blue\"}",
                    "{\"processor\": \"greet\", \"id\": \"not-a-uuid\"}",
                    "{\"processor\": \"greet\", \"items\": {}}",
                    "{\"processor\": \"no-such-processor\"}",
                    "{\"processor\": \"" + "x".repeat(200_000) + "\"}");
            for (String value : bad) {
                plain.send(new ProducerRecord<>(cluster.topics.jobs(), 0, null, value)).get();
            }
            UUID good = cluster.client().submit(JobRequests.builder(Greeter.NAME).build());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(good, Duration.ofMinutes(1)).type());

            List<TopicPartition> parts = events.partitionsFor(cluster.topics.jobEvents()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            events.assign(parts);
            events.seekToBeginning(parts);
            List<JobEvent> rejected = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : events.poll(Duration.ofMillis(100))) {
                    JobEvent e = Json.mapper().readValue(new String(r.value(), StandardCharsets.UTF_8), JobEvent.class);
                    if (e.type() == JobEvent.Type.REJECTED) {
                        rejected.add(e);
                    }
                }
                return rejected.size() == bad.size();
            });
            assertThat(rejected).extracting(JobEvent::reason).anyMatch(r -> r.startsWith("not JSON"))
                    .anyMatch(r -> r.contains("a job request is a JSON object"))
                    .anyMatch(r -> r.equals("missing field 'processor'"))
                    .anyMatch(r -> r.contains("unknown field 'colour'"))
                    .anyMatch(r -> r.contains("field 'id' must be a UUID"))
                    .anyMatch(r -> r.contains("field 'items' must be an array"))
                    .anyMatch(r -> r.contains("unknown processor 'no-such-processor'"))
                    .anyMatch(r -> r.matches("field 'processor' must be .*, got 'x+\\.\\.\\. \\(cut from 2000\\d\\d characters\\)"))
                    .allMatch(r -> r.length() <= Limits.MAX_REASON_CHARS);
            assertThat(rejected).allMatch(e -> e.source().startsWith(cluster.topics.jobs() + "-0@"));
            assertEquals(bad.size(), Sql.count(cluster.db(), "SELECT count(*) FROM fanout_rejected_request"));
            assertEquals("this is not json", Sql.text(cluster.db(), "SELECT request FROM fanout_rejected_request ORDER BY id LIMIT 1"));
            assertEquals(Limits.MAX_STORED_REQUEST_CHARS, Sql.count(cluster.db(), "SELECT max(length(request)) FROM fanout_rejected_request"),
                    "a large rejected request is stored cut");
        }
    }

    @Test
    void theLargestRequestRunsEndToEndAndALargerOneIsRefusedBeforeItIsSent() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, Set.of(Greeter.NAME))) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            String name = "x".repeat(JobRequests.MAX_REQUEST_BYTES - 100); // with the rest of the request, just under the limit
            UUID job = cluster.client().submit(JobRequests.builder(Greeter.NAME).params(new Greeter.Params(name)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), outcome.error());
            assertEquals("hello, " + name, outcome.result().asText());
            assertThrows(IllegalArgumentException.class, () -> JobRequests.builder(Greeter.NAME).params(new Greeter.Params(name + "x".repeat(200))).build());
        }
    }
}
