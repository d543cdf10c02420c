package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.examples.Greeter;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Records that are not Fanout records never crash an executor or a coordinator, nor block a partition. */
class PoisonRecordIT {

    @Test
    void unreadableRecordsOnTheTasksAndStatusTopicsAreSkippedAndWorkGoesOn() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(1, Set.of());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(cluster.topics.tasks(), 0, null, ("garbage " + i).getBytes()));
                producer.send(new ProducerRecord<>(cluster.topics.status(), i % 2, null, new byte[] {1, 99, 0}));
            }
            producer.flush();
            UUID job = cluster.client().submit(JobRequests.builder(Greeter.NAME).params(Map.of("name", "after the garbage")).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("hello, after the garbage", outcome.result().asText());
        }
    }
}
