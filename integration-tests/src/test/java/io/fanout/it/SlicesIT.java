package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A job's mapped tasks dispatched together go to the executors many to a record (a slice), and are
 * still run, reported, counted and retried each on its own: one failing task neither fails nor
 * re-runs its neighbours.
 */
class SlicesIT {

    private static final int ITEMS = 2_000;

    @Test
    void aSlicesTasksRunOnceEachAndAFailingOneIsRetriedAlone() throws Exception {
        Map<Integer, AtomicInteger> firstAttempts = new ConcurrentHashMap<>();
        Processor failsSomeFirstAttempts = ctx -> {
            int n = ctx.payload(Integer.class);
            if (ctx.attempt() == 0) {
                firstAttempts.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
                if (n % 100 == 7) {
                    throw new IllegalStateException("item " + n + " fails its first attempt");
                }
            }
            return n;
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("sliced", failsSomeFirstAttempts));
            cluster.startExecutor(Map.of("sliced", failsSomeFirstAttempts));
            List<Integer> items = IntStream.range(0, ITEMS).boxed().toList();
            UUID job = cluster.client().submit(JobRequests.builder("sliced").items(items, "item")
                    .retry(new RetryPolicy(3, Duration.ofMillis(100), 1.0, Duration.ofMillis(100), 0, List.of())).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
            assertEquals(ITEMS, outcome.tasks().succeeded());
            assertEquals(ITEMS, firstAttempts.size());
            assertThat(firstAttempts.values()).allMatch(n -> n.get() == 1, "each task's first attempt ran once");
            assertEquals(ITEMS / 100, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt = 1", job),
                    "only the failing tasks were retried");

            List<List<TaskRecord>> records = TopicRecords.all(cluster, cluster.topics.tasks()).stream().map(ConsumerRecord::value)
                    .map(WireCodec::decodeTasks).filter(r -> r.get(0).jobId().equals(job)).toList();
            Map<String, Long> sent = records.stream().flatMap(List::stream).collect(Collectors.groupingBy(t -> t.taskId() + "@" + t.attempt(),
                    Collectors.counting()));
            assertEquals(ITEMS + ITEMS / 100, sent.size(), "every first attempt and every retry sent");
            assertThat(sent.values()).allMatch(n -> n == 1, "each attempt in one record");
            long firstRecords = records.stream().filter(r -> r.get(0).attempt() == 0).count();
            assertThat(firstRecords).as("records carrying the first attempts").isLessThanOrEqualTo(ITEMS / 16);
            assertThat(records).allMatch(r -> r.stream().allMatch(t -> t.jobId().equals(job)), "a slice is of one job");
        }
    }
}
