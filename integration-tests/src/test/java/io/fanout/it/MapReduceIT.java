package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.examples.Greeter;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class MapReduceIT {

    @Test
    void mapReduceOverTenThousandSubtasksOnTwoExecutorsIsExactAndCountsEachTaskOnce() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            Map<String, TestProcessors.SumOfSquares> processors = Map.of("squares", new TestProcessors.SumOfSquares());
            cluster.startExecutor(processors);
            cluster.startExecutor(processors);
            int n = 10_000;
            List<JobEvent> seen = new CopyOnWriteArrayList<>();
            UUID job = cluster.client().submit(JobRequests.builder("squares").params(Map.of("n", n)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2), seen::add);

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(TestProcessors.SumOfSquares.expected(n), outcome.result().asLong());
            // root + n subtasks + reduce, every one SUCCEEDED exactly once
            assertEquals(Map.of("SUCCEEDED", (long) n + 2), Sql.taskStates(cluster.db(), job));
            assertEquals(n + 2, outcome.tasks().succeeded());
            assertEquals(n + 2, Sql.count(cluster.db(), "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND (finished_at IS NULL OR executor_id IS NULL)", job));
            assertThat(seen).anyMatch(e -> e.type() == JobEvent.Type.PROGRESS);
        }
    }

    @Test
    void nestedMapsRunEveryLevel() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("nested", new TestProcessors.NestedSum()));
            UUID job = cluster.client().submit(JobRequests.builder("nested").params(Map.of("groups", 5, "leaves", 20)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            long expected = 0;
            for (int g = 0; g < 5; g++) {
                for (int l = 0; l < 20; l++) {
                    expected += g * 1000L + l;
                }
            }
            assertEquals(expected, outcome.result().asLong());
            assertEquals(1 + 5 + 100 + 1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }

    @Test
    void staticFanOutRunsEachItemWithoutARootTask() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("square-items", new TestProcessors.SquareItems()));
            UUID job = cluster.client().submit(JobRequests.builder("square-items").items(List.of(1, 2, 3, 4), "square").build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(1 + 4 + 9 + 16, outcome.result().asLong());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND kind = 1", job));
        }
    }

    @Test
    void basicProcessorResultIsTheJobResult() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(Greeter.NAME, new Greeter()));
            UUID job = cluster.client().submit(JobRequests.builder(Greeter.NAME).params(Map.of("name", "Ada")).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals("hello, Ada", outcome.result().asText());
            assertEquals(JobState.SUCCEEDED.name(), Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            assertEquals("\"hello, Ada\"", Sql.text(cluster.db(), "SELECT result_json FROM fanout_job WHERE job_id = ?", job));
        }
    }
}
