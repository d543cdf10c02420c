package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The Kafka broker restarts in the middle of a job: the job is delayed, and nothing is lost or counted twice. */
class BrokerRestartIT {

    private static final int N = 2_000;

    @Test
    void aJobThatLivesThroughABrokerRestartCompletesWithTheExactResult() throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start();
             FanoutCluster cluster = FanoutCluster.on(broker.bootstrapServers(), 4)) {
            cluster.startExecutor(Map.of("squares", new PostgresOutageIT.SlowSquares()), b -> b.concurrency(4));
            UUID job = cluster.client().submit(JobRequests.builder("squares").params(Map.of("n", N)).build());
            await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(cluster.db(),
                    "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job) > N / 10);

            broker.stop();
            long stoppedAt = Sql.count(cluster.db(), "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job);
            broker.startAgain();

            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(3));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), "stopped at " + stoppedAt + " of " + (N + 2));
            assertEquals(TestProcessors.SumOfSquares.expected(N), outcome.result().asLong());
            assertEquals(N + 2, outcome.tasks().succeeded());
            assertEquals(N + 2, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }
}
