package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.examples.Greeter;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.TaskIds;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A coordinator restarted mid-job rebuilds from PostgreSQL and carries on, without redoing work. */
class CoordinatorRestartIT {

    /** Sums 1..50; its reduce waits for the test, and counts how often it runs. */
    static final class HeldReduce implements MapReduceProcessor {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger reduces = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                return ctx.map(IntStream.rangeClosed(1, 50).boxed().toList(), "n");
            }
            return (long) ctx.payload(Integer.class);
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) throws InterruptedException {
            reduces.incrementAndGet();
            release.await(2, TimeUnit.MINUTES);
            long sum = 0;
            for (Object r : results) {
                sum += (Long) r;
            }
            return sum;
        }
    }

    @Test
    void aRestartDuringTheReduceNeitherStreamsTheResultsAgainNorRunsTheReduceTwice() throws Exception {
        HeldReduce processor = new HeldReduce();
        try (FanoutCluster cluster = new FanoutCluster(); Admin admin = cluster.admin()) {
            cluster.startExecutor(Map.of("held", processor, Greeter.NAME, new Greeter()));
            UUID job = cluster.client().submit(JobRequests.builder("held").build());
            await().atMost(Duration.ofSeconds(60)).until(() -> "RUNNING".equals(Sql.text(cluster.db(),
                    "SELECT state FROM fanout_task WHERE job_id = ? AND task_id = ?", job, TaskIds.reduce(job))));
            long streamed = endOffsets(admin, cluster);

            cluster.restartCoordinator(); // the new one finds the job REDUCING and resumes it
            UUID after = cluster.client().submit(JobRequests.builder(Greeter.NAME).build()); // passes once the new one owns the partitions
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(after, Duration.ofMinutes(1)).type());
            processor.release.countDown();
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(50 * 51 / 2, outcome.result().asLong());
            assertEquals(streamed, endOffsets(admin, cluster), "the results were not streamed a second time");
            assertEquals(1, processor.reduces.get(), "the reduce ran once");
            assertEquals(52, Sql.count(cluster.db(), "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job));
        }
    }

    private static long endOffsets(Admin admin, FanoutCluster cluster) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p : List.of(0, 1)) {
            latest.put(new TopicPartition(cluster.topics.reduceInputs(), p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }
}
