package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.PoolStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** Jobs name the executor pool that runs them; each pool is its own topic and consumer group. */
class PoolsIT {

    /** Returns which executor ran the task. */
    private static final Processor WHERE = ctx -> ctx.executorId();

    @Test
    void eachPoolRunsOnlyTheJobsSentToIt() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of(), Map.of("gpu", 2))) {
            cluster.startExecutor(Map.of("where", WHERE), b -> b.executorId("cpu-1"));
            cluster.startExecutor(Map.of("where", WHERE), b -> b.executorId("gpu-1").pool("gpu"));
            List<Integer> items = IntStream.range(0, 20).boxed().toList();
            UUID cpuJob = cluster.client().submit(JobRequests.builder("where").items(items, "t").build());
            UUID gpuJob = cluster.client().submit(JobRequests.builder("where").items(items, "t").pool("gpu").build());

            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(cpuJob, Duration.ofMinutes(1)).type());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(gpuJob, Duration.ofMinutes(1)).type());
            assertEquals(20, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND executor_id = 'cpu-1'", cpuJob));
            assertEquals(20, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND executor_id = 'gpu-1'", gpuJob));
            assertEquals("gpu", Sql.text(cluster.db(), "SELECT pool FROM fanout_job WHERE job_id = ?", gpuJob));
        }
    }

    @Test
    void aPoolWithoutExecutorsKeepsItsTasksAsLagUntilOneJoins() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of(), Map.of("batch", 3)); Admin admin = cluster.admin()) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SumOfSquares())); // default pool: must not take batch work
            UUID job = cluster.client().submit(JobRequests.builder("squares").params(Map.of("n", 500)).pool("batch").build());

            await().atMost(Duration.ofSeconds(30)).until(() -> batch(admin, cluster).totalLag() == 1); // the root task waits on the topic
            assertEquals("RUNNING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND executor_id IS NOT NULL", job));

            cluster.startExecutor(Map.of("squares", new TestProcessors.SumOfSquares()), b -> b.pool("batch").executorId("batch-1"));
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(TestProcessors.SumOfSquares.expected(500), outcome.result().asLong());
            assertEquals(502, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND executor_id = 'batch-1'", job));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                PoolStatus batch = batch(admin, cluster);
                assertEquals(0, batch.totalLag(), batch.render());
            });
            assertThat(batch(admin, cluster).members()).singleElement().asString().contains("batch-1");
        }
    }

    @Test
    void aJobForAnUnknownPoolIsRejectedWithAReasonAndNothingIsStored() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of(), Map.of("gpu", 1))) {
            UUID job = cluster.client().submit(JobRequests.builder("where").pool("tpu").build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.REJECTED, outcome.type());
            assertEquals("unknown pool 'tpu' (known: default, gpu)", outcome.reason());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job"));
            assertThat(Sql.text(cluster.db(), "SELECT request FROM fanout_rejected_request")).contains("\"pool\":\"tpu\"");
        }
    }

    private static PoolStatus batch(Admin admin, FanoutCluster cluster) {
        return PoolStatus.readAll(admin, cluster.topics, cluster.executorGroup()).stream()
                .filter(p -> p.pool().equals("batch")).findFirst().orElseThrow();
    }

}
