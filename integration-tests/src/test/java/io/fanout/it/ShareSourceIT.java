package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Executors taking their tasks from a share group (KIP-932) instead of a consumer group. */
class ShareSourceIT {

    /** Squares its item after {@code sleepMs}; the reduce sums. */
    static final class SlowSquares implements MapReduceProcessor {
        final int sleepMs;
        final AtomicInteger runs = new AtomicInteger();

        SlowSquares(int sleepMs) {
            this.sleepMs = sleepMs;
        }

        @Override
        public Object process(TaskContext ctx) throws Exception {
            runs.incrementAndGet();
            Thread.sleep(sleepMs);
            long v = ctx.payload(Long.class);
            return v * v;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    private static FanoutExecutor shareExecutor(FanoutCluster cluster, Processor processor, String id, int concurrency) {
        return shareExecutor(cluster, processor, id, concurrency, Duration.ofMillis(200));
    }

    private static FanoutExecutor shareExecutor(FanoutCluster cluster, Processor processor, String id, int concurrency, Duration grace) {
        return cluster.startExecutor(Map.of("squares", processor), b -> b.taskSource(ExecutorConfig.TaskSource.SHARE).executorId(id)
                .concurrency(concurrency).heartbeatInterval(Duration.ofMillis(500)).shutdownGrace(grace));
    }

    private static UUID squares(FanoutCluster cluster, int n) {
        return cluster.client().submit(JobRequests.builder("squares").items(LongStream.rangeClosed(1, n).boxed().toList(), "square").build());
    }

    private static void assertExact(FanoutCluster cluster, UUID job, JobEvent outcome, int n) {
        assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
        assertEquals(LongStream.rangeClosed(1, n).map(i -> i * i).sum(), outcome.result().asLong());
        assertEquals(n + 1, outcome.tasks().succeeded());
        assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job), "no task needed a new attempt");
    }

    /** More executors than the pool has partitions: every one of them runs tasks, and the job is exact. */
    @Test
    void moreExecutorsThanPartitionsAllRunTasksAndTheJobIsExact() throws Exception {
        int n = 600;
        try (FanoutCluster cluster = new FanoutCluster(2, java.util.Set.of())) {
            SlowSquares squares = new SlowSquares(10);
            for (int i = 1; i <= 4; i++) {
                shareExecutor(cluster, squares, "share-" + i, 2);
            }
            UUID job = squares(cluster, n);
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));
            assertExact(cluster, job, outcome, n);
            assertEquals(4, Sql.count(cluster.db(), "SELECT count(DISTINCT executor_id) FROM fanout_task WHERE job_id = ? AND kind = 2", job),
                    "four executors on two partitions all ran tasks");
        }
    }

    /**
     * A pool moved from the consumer-group source to the share source runs none of the tasks its
     * consumer group ran, though the topic still holds their records: the new share group starts
     * where the consumer group left off, not at the earliest record.
     */
    @Test
    void aPoolMovedToTheShareSourceDoesNotRunAgainWhatItsConsumerGroupRan() throws Exception {
        int n = 30;
        try (FanoutCluster cluster = new FanoutCluster()) {
            SlowSquares grouped = new SlowSquares(0);
            FanoutExecutor consumerGroupMember = cluster.startExecutor(Map.of("squares", grouped), b -> b.executorId("grouped"));
            UUID first = squares(cluster, n);
            assertExact(cluster, first, cluster.client().await(first, Duration.ofMinutes(1)), n);
            consumerGroupMember.close();

            SlowSquares shared = new SlowSquares(0);
            shareExecutor(cluster, shared, "share-after", 4);
            UUID second = squares(cluster, n);
            assertExact(cluster, second, cluster.client().await(second, Duration.ofMinutes(1)), n);
            assertEquals(n, shared.runs.get(), "the share group ran the second job's tasks, and none of the first's again");
        }
    }

    /** A task that runs longer than the acquisition lock keeps its lock (renewed) and runs once. */
    @Test
    void aTaskLongerThanTheLockRunsOnce() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            ShareGroups.lockFor(cluster, Duration.ofSeconds(2));
            SlowSquares squares = new SlowSquares(6_000);
            shareExecutor(cluster, squares, "share-a", 4);
            shareExecutor(cluster, squares, "share-b", 4);
            UUID job = squares(cluster, 2);
            assertExact(cluster, job, cluster.client().await(job, Duration.ofMinutes(1)), 2);
            assertEquals(2, squares.runs.get(), "each task ran once, though each ran three times as long as the lock");
        }
    }

    /**
     * A stopped executor releases the records it holds: another member runs them at once, not
     * after the acquisition lock (30 s) expires.
     */
    @Test
    void aStoppedExecutorsRecordsRunElsewhereAtOnce() throws Exception {
        int n = 40;
        try (FanoutCluster cluster = new FanoutCluster()) {
            SlowSquares squares = new SlowSquares(300);
            FanoutExecutor first = shareExecutor(cluster, squares, "share-first", 2);
            UUID job = squares(cluster, n);
            await().atMost(Duration.ofMinutes(1)).until(() -> squares.runs.get() >= 4 && first.inFlight() > 2);
            shareExecutor(cluster, squares, "share-second", 8);
            long stoppedAt = System.nanoTime();
            first.close();
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            double seconds = (System.nanoTime() - stoppedAt) / 1e9;
            assertExact(cluster, job, outcome, n);
            System.out.printf("share source: the job finished %.1f s after its first executor stopped%n", seconds);
            assertTrue(seconds < 20, "the stopped executor's records waited for their lock: " + seconds + " s");
        }
    }
}
