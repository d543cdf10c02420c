package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LargeReduceIT {

    /** n subtasks each return a 100-character string; reduce checks and counts them one by one. */
    static final class HundredBytes implements MapReduceProcessor {
        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                int n = ctx.params(Integer.class);
                Iterable<Integer> items = () -> IntStream.range(0, n).boxed().iterator();
                return ctx.map(items, "pad");
            }
            return String.format("%0100d", ctx.payload(Integer.class));
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            long count = 0;
            long sum = 0;
            for (Object r : results) {
                String s = (String) r;
                if (s.length() != 100) {
                    throw new IllegalStateException("bad result " + s);
                }
                sum += Long.parseLong(s);
                count++;
            }
            return Map.of("count", count, "sum", sum);
        }
    }

    @Test
    void aReduceOverOneHundredThousandResultsStreamsThemInChunks() throws Exception {
        int n = 100_000;
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("pad", new HundredBytes()));
            cluster.startExecutor(Map.of("pad", new HundredBytes()));
            UUID job = cluster.client().submit(JobRequests.builder("pad").params(n).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(3));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(n, outcome.result().get("count").asLong());
            assertEquals((long) n * (n - 1) / 2, outcome.result().get("sum").asLong());
            assertEquals(n, Sql.count(cluster.db(), "SELECT reduce_count FROM fanout_job WHERE job_id = ?", job));
            long chunks = Sql.count(cluster.db(), "SELECT reduce_to - reduce_from + 1 FROM fanout_job WHERE job_id = ?", job);
            assertTrue(chunks >= 10, "results travel in many bounded chunks, not one record: " + chunks);
        }
    }
}
