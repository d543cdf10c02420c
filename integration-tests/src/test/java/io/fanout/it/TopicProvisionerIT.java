package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicMismatchException;
import io.fanout.topics.TopicProvisioner;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class TopicProvisionerIT {

    private static TopicNames uniqueNames() {
        return new TopicNames("tp-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    }

    @Test
    void applyCreatesTheLayoutOnceAndThenChangesNothing() {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", SharedInfrastructure.bootstrapServers()))) {
            TopicLayout layout = new TopicLayout(uniqueNames(), 2, 3);
            TopicProvisioner provisioner = new TopicProvisioner(admin);
            assertEquals(9, provisioner.apply(layout).size());
            assertEquals(List.of(), provisioner.apply(layout));
            assertEquals(5, provisioner.ensurePartitions(layout.names().tasks(), 5));
            assertEquals(5, provisioner.ensurePartitions(layout.names().tasks(), 4), "partitions are never removed");
        }
    }

    @Test
    void anExistingTopicThatDoesNotMatchIsReportedNotChanged() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", SharedInfrastructure.bootstrapServers()))) {
            TopicNames names = uniqueNames();
            admin.createTopics(List.of(
                    new NewTopic(names.tasks(), Optional.of(1), Optional.empty()),
                    new NewTopic(names.status(), Optional.of(2), Optional.empty()).configs(Map.of("cleanup.policy", "compact")))).all().get();
            TopicMismatchException e = assertThrows(TopicMismatchException.class, () -> new TopicProvisioner(admin).apply(new TopicLayout(names, 2, 3)));
            assertThat(e.getMessage())
                    .contains(names.tasks() + " has 1 partitions, the layout needs 3")
                    .contains(names.status() + " has cleanup.policy=compact, the layout needs delete");
            assertEquals(1, admin.describeTopics(List.of(names.tasks())).allTopicNames().get().get(names.tasks()).partitions().size());
        }
    }

    @Test
    void theJobsTopicTakesTheLargestValidRequestAndRefusesLargerRecords() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "max.request.size", 8 << 20,
                     "retries", 0), new ByteArraySerializer(), new ByteArraySerializer())) {
            TopicLayout layout = new TopicLayout(uniqueNames(), 2, 3);
            new TopicProvisioner(admin).apply(layout);
            String jobs = layout.names().jobs();
            producer.send(new ProducerRecord<>(jobs, UUID.randomUUID().toString().getBytes(), new byte[JobRequests.MAX_REQUEST_BYTES])).get();
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>(jobs, null, new byte[2 * JobRequests.MAX_REQUEST_BYTES])).get());
            assertThat(refused.getCause()).isInstanceOf(RecordTooLargeException.class);
        }
    }
}
