package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A job's parallelism caps how many of its tasks are in flight, whatever the executors could run. */
class ParallelismIT {

    /** Squares its items slowly, recording how many of its tasks ran at once; the reduce sums them. */
    static final class Counted implements MapReduceProcessor {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) throws Exception {
            int now = running.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            try {
                if (ctx.isRoot()) {
                    return ctx.map(IntStream.rangeClosed(1, 40).boxed().toList(), "square");
                }
                Thread.sleep(100);
                long i = ctx.payload(Integer.class);
                return i * i;
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    @Test
    void aStaticFanOutRunsAtMostItsParallelismAtOnce() throws Exception {
        Counted processor = new Counted();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("counted", processor), b -> b.concurrency(16));
            UUID job = cluster.client().submit(JobRequests.builder("counted").items(IntStream.rangeClosed(1, 30).boxed().toList(), "square")
                    .parallelism(3).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(IntStream.rangeClosed(1, 30).mapToLong(i -> (long) i * i).sum(), outcome.result().asLong());
            assertEquals(3, processor.most.get(), "three at once, never more");
            assertEquals(0, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task_held WHERE job_id = ?", job));
        }
    }

    @Test
    void mappedSubtasksAreHeldBeyondTheParallelismAndReleasedAsOthersFinish() throws Exception {
        Counted processor = new Counted();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("counted", processor), b -> b.concurrency(16));
            UUID job = cluster.client().submit(JobRequests.builder("counted").parallelism(5).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(IntStream.rangeClosed(1, 40).mapToLong(i -> (long) i * i).sum(), outcome.result().asLong());
            assertThat(processor.most.get()).as("tasks of the job at once").isBetween(4, 5);
            assertEquals(42, outcome.tasks().succeeded());
        }
    }
}
