package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** PostgreSQL goes away for a few seconds in the middle of a job: the job is delayed, and nothing is lost or counted twice. */
class PostgresOutageIT {

    private static final int N = 3_000;
    private static final Duration OUTAGE = Duration.ofSeconds(4);

    @Test
    void aJobThatLivesThroughADatabaseOutageCompletesWithTheExactResult() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("squares", new SlowSquares()), b -> b.concurrency(4));
            String database = cluster.jdbcUrl.substring(cluster.jdbcUrl.lastIndexOf('/') + 1, cluster.jdbcUrl.indexOf('?'));
            UUID job = cluster.client().submit(JobRequests.builder("squares").params(Map.of("n", N)).build());
            await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(cluster.db(),
                    "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job) > N / 10);

            refuseConnections(database, true);
            long outageStarted = System.nanoTime();
            try {
                Thread.sleep(OUTAGE); // the outage itself: PostgreSQL refuses every connection to the database meanwhile
            } finally {
                refuseConnections(database, false);
            }
            long outageMillis = (System.nanoTime() - outageStarted) / 1_000_000;

            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), "after an outage of " + outageMillis + " ms");
            assertEquals(TestProcessors.SumOfSquares.expected(N), outcome.result().asLong());
            assertEquals(N + 2, outcome.tasks().succeeded(), "root, every subtask and the reduce, each counted once");
            assertEquals(N + 2, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }

    /** Sums of squares, a little slower, so the job lasts a few seconds. */
    static final class SlowSquares implements MapReduceProcessor {
        private final TestProcessors.SumOfSquares squares = new TestProcessors.SumOfSquares();

        @Override
        public Object process(TaskContext ctx) throws Exception {
            Thread.sleep(2);
            return squares.process(ctx);
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return squares.reduce(ctx, results);
        }
    }

    /** Closes the database to new connections and ends the open ones, or opens it again. */
    private static void refuseConnections(String database, boolean refuse) throws SQLException {
        try (Connection admin = DriverManager.getConnection(SharedInfrastructure.adminUrl(), SharedInfrastructure.dbUser(), null);
             Statement st = admin.createStatement()) {
            st.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS " + !refuse);
            if (refuse) {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
            }
        }
    }
}
