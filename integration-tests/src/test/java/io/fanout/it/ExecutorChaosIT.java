package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.examples.PrimeCount;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.ExecutorRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real executor processes killed at random moments of a job: it still completes, and every task
 * succeeds exactly once in PostgreSQL (tasks may run again; completions are never counted twice).
 */
class ExecutorChaosIT {

    private static final long LIMIT = 5_000_000;
    private static final int SLICES = 10_000;
    private static final long PRIMES_BELOW_LIMIT = 348_513;

    @ParameterizedTest(name = "task source {0}")
    @ValueSource(strings = {"group", "share"})
    void twoOfThreeExecutorsSigkilledMidJobAndTheJobCompletesWithEveryTaskSucceededOnce(String source) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (FanoutCluster cluster = new FanoutCluster(6, java.util.Set.of());
             FanoutProcesses processes = new FanoutProcesses()) {
            if (source.equals("share")) {
                ShareGroups.lockFor(cluster, Duration.ofSeconds(5)); // a killed member's records come back after this
            }
            List<Process> executors = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                executors.add(processes.start("executor", "--examples", "--bootstrap-servers", cluster.bootstrap, "--topic-prefix", cluster.topics.prefix(),
                        "--group-id", cluster.executorGroup(), "--executor-id", "chaos-" + i, "--concurrency", "2", "--task-source", source,
                        "--heartbeat-interval", "PT0.5S"));
            }
            UUID job = cluster.client().submit(JobRequests.builder(PrimeCount.NAME).params(new PrimeCount.Params(LIMIT, SLICES)).build());
            long[] killedAt = new long[2];
            double[] fractions = {0.1 + 0.3 * random.nextDouble(), 0.5 + 0.3 * random.nextDouble()};
            for (int k = 0; k < 2; k++) {
                long target = (long) (SLICES * fractions[k]);
                await().atMost(Duration.ofMinutes(3)).until(() -> done(cluster, job) >= target);
                killedAt[k] = done(cluster, job);
                executors.get(k).destroyForcibly(); // SIGKILL
            }
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(5));
            long retried = Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job);
            // Executions the executors reported in their last heartbeats, beyond one per task: work done twice (a lower bound,
            // since a killed executor's last heartbeat is up to half a second old).
            ExecutorRegistry registry = ExecutorRegistry.read(Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, Instant.now());
            long executions = java.util.stream.Stream.concat(registry.live().stream(), registry.silent().stream())
                    .mapToLong(ExecutorHeartbeat::completed).sum();
            System.out.printf("executor chaos, %s source (seed %d): chaos-1 killed at %,d and chaos-2 at %,d of %,d tasks done; %,d tasks needed a new attempt; "
                    + "%,d succeeded, each once; at least %,d executions repeated%n", source, seed, killedAt[0], killedAt[1], SLICES + 2, retried,
                    outcome.tasks().succeeded(), Math.max(0, executions - (SLICES + 2)));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), "seed " + seed);
            assertEquals(PRIMES_BELOW_LIMIT, outcome.result().asLong());
            assertEquals(SLICES + 2, outcome.tasks().succeeded());
            assertEquals(SLICES + 2, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }

    private static long done(FanoutCluster cluster, UUID job) {
        return Sql.count(cluster.db(), "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job);
    }
}
