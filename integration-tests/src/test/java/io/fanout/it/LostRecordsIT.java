package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.Pools;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Issue S4: a task whose record no executor will ever receive (deleted by the task topic's
 * retention before it was read, or archived by a share group at its delivery limit) is sent again
 * once its pool has nothing left to read, instead of leaving its job DISPATCHED for good.
 */
class LostRecordsIT {

    private static final List<Long> ITEMS = IntStream.rangeClosed(1, 40).mapToObj(i -> (long) i).toList();
    private static final long SUM_OF_SQUARES = IntStream.rangeClosed(1, 40).mapToLong(i -> (long) i * i).sum();

    @Test
    void tasksWhoseRecordsWereDeletedBeforeAnyExecutorReadThemAreSentAgainAndTheJobEnds() throws Exception {
        // a short task-lost-after: the pools are read every second, and a task waits 2 s before its record is judged lost
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(2)))) {
            UUID job = cluster.client().submit(JobRequests.builder("squares").items(ITEMS, "square").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'DISPATCHED'", job) == ITEMS.size());
            String topic = cluster.topics.tasks(Pools.DEFAULT);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrap))) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < 4; p++) {
                    latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> TopicRecords.all(cluster, topic).stream()
                        .mapToInt(r -> WireCodec.decodeTasks(r.value()).size()).sum() == ITEMS.size()); // every task's record is on the topic
                Map<TopicPartition, RecordsToDelete> everything = new HashMap<>();
                admin.listOffsets(latest).all().get().forEach((tp, o) -> everything.put(tp, RecordsToDelete.beforeOffset(o.offset())));
                admin.deleteRecords(everything).all().get(); // as the topic's retention would, before any executor read them
            }

            cluster.client().follow(job);
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(60));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), outcome.toString());
            assertEquals(SUM_OF_SQUARES, outcome.result().asLong());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job),
                    "each record was sent again at the same attempt");
        }
    }
}
