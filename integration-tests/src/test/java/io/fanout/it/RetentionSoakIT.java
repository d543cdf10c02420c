package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.RetentionPolicy;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Jobs with a short time-to-live run back to back for a while ({@code -Dfanout.soak.seconds}, 45 by
 * default; docs/benchmarks.md has a longer run): the tables stay as small as the work in flight, the
 * rows the queries read per interval stay flat, and a job that runs the whole time keeps every row.
 */
class RetentionSoakIT {

    private static final int WAVE = 10;
    private static final int ITEMS = 50;
    private static final int LONG_ITEMS = 2_000;

    /** Squares its items; the long job's tasks wait for the gate. */
    static final class GatedSquares implements MapReduceProcessor {
        final CountDownLatch gate = new CountDownLatch(1);

        @Override
        public Object process(TaskContext ctx) throws Exception {
            long v = ctx.payload(Long.class);
            if (v < 0) {
                gate.await();
                v = -v;
            }
            return v * v;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    @Test
    void shortLivedJobsLeaveNoRowsBehindAndTheTablesStayFlat() throws Exception {
        Duration soak = Duration.ofSeconds(Integer.getInteger("fanout.soak.seconds", 45));
        GatedSquares processor = new GatedSquares();
        RetentionPolicy retention = new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90), Duration.ofMillis(200), 1000,
                Duration.ofSeconds(15));
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.retention(retention))) {
            cluster.startExecutor(Map.of("squares", processor), b -> b.concurrency(8));
            DataSource db = cluster.db();
            List<Long> longItems = IntStream.rangeClosed(1, LONG_ITEMS).mapToObj(i -> (long) -i).toList();
            UUID longJob = cluster.client().submit(JobRequests.builder("squares").items(longItems, "wait").parallelism(1)
                    .ttlAfterFinished(Duration.ZERO).build());
            List<Long> items = IntStream.rangeClosed(1, ITEMS).mapToObj(i -> (long) i).toList();
            long expected = IntStream.rangeClosed(1, ITEMS).mapToLong(i -> (long) i * i).sum();

            List<Sample> samples = new ArrayList<>();
            Sample last = Sample.take(db, 0, 0);
            long start = System.nanoTime();
            long nextSample = start + Duration.ofSeconds(5).toNanos();
            int jobsDone = 0;
            while (System.nanoTime() - start < soak.toNanos()) {
                List<UUID> wave = new ArrayList<>();
                for (int i = 0; i < WAVE; i++) {
                    wave.add(cluster.client().submit(JobRequests.builder("squares").items(items, "square").ttlAfterFinished(Duration.ZERO).build()));
                }
                for (UUID job : wave) {
                    JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(60));
                    assertEquals(expected, outcome.result().asLong(), outcome.toString());
                    jobsDone++;
                }
                if (System.nanoTime() >= nextSample) {
                    nextSample += Duration.ofSeconds(5).toNanos();
                    Sample s = Sample.take(db, (System.nanoTime() - start) / 1_000_000_000, jobsDone);
                    samples.add(s.minus(last));
                    last = s;
                }
            }
            System.out.printf("%nretention soak: %d jobs of %d tasks with ttlAfterFinished 0 in %d s, one job of %d tasks open throughout%n", jobsDone,
                    ITEMS, soak.toSeconds(), LONG_ITEMS);
            System.out.println("   s   jobs done   job rows   task rows   job MB   task MB   job rows read/int   task rows read/int   dead task rows");
            samples.forEach(s -> System.out.println(s.line()));

            await().atMost(Duration.ofSeconds(60)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job") == 1
                    && Sql.count(db, "SELECT count(*) FROM fanout_task") == LONG_ITEMS);
            assertTrue(samples.size() >= 4, "the soak ran long enough to compare its intervals");
            long maxTaskRows = samples.stream().mapToLong(Sample::taskRows).max().orElseThrow();
            assertTrue(maxTaskRows < LONG_ITEMS + 20L * WAVE * (ITEMS + 1), "task rows stay near the work in flight, at most " + maxTaskRows);
            // the rows read per interval stay flat: the later half reads no more per job done than the earlier half, give or take
            assertTrue(rowsReadPerJob(samples.subList(samples.size() / 2, samples.size())) < 2 * rowsReadPerJob(samples.subList(0, samples.size() / 2)),
                    "rows read per job grew");
            assertEquals(LONG_ITEMS, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state IN ('CREATED', 'DISPATCHED', 'RECEIVED', "
                    + "'RUNNING')", longJob), "the open job kept every task");

            cluster.client().follow(longJob);
            processor.gate.countDown();
            JobEvent outcome = cluster.client().await(longJob, Duration.ofMinutes(2));
            assertEquals(IntStream.rangeClosed(1, LONG_ITEMS).mapToLong(i -> (long) i * i).sum(), outcome.result().asLong());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_task") == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_job") == 0);
        }
    }

    private static double rowsReadPerJob(List<Sample> interval) {
        long read = interval.stream().mapToLong(s -> s.jobRowsRead() + s.taskRowsRead()).sum();
        long jobs = interval.get(interval.size() - 1).jobsDone() - interval.get(0).jobsDone() + 1;
        return (double) read / jobs;
    }

    /** What the tables hold and what was read from them, at one time or (after {@link #minus}) over an interval. */
    record Sample(long seconds, long jobsDone, long jobRows, long taskRows, long jobBytes, long taskBytes, long jobRowsRead, long taskRowsRead,
                  long deadTaskRows) {

        static Sample take(DataSource db, long seconds, long jobsDone) throws SQLException {
            try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("""
                    SELECT (SELECT count(*) FROM fanout_job), (SELECT count(*) FROM fanout_task),
                           pg_total_relation_size('fanout_job'), pg_total_relation_size('fanout_task'),
                           (SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'fanout_job'),
                           (SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = 'fanout_task'),
                           (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'fanout_task')""");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Sample(seconds, jobsDone, rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                        rs.getLong(7));
            }
        }

        /** This sample with the rows read since {@code before}. */
        Sample minus(Sample before) {
            return new Sample(seconds, jobsDone, jobRows, taskRows, jobBytes, taskBytes, jobRowsRead - before.jobRowsRead,
                    taskRowsRead - before.taskRowsRead, deadTaskRows);
        }

        String line() {
            return String.format("%4d %11d %10d %11d %8.1f %9.1f %19d %20d %16d", seconds, jobsDone, jobRows, taskRows, jobBytes / 1048576.0,
                    taskBytes / 1048576.0, jobRowsRead, taskRowsRead, deadTaskRows);
        }
    }
}
