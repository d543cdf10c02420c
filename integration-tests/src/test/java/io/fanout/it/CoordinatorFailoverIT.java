package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.client.FanoutClient;
import io.fanout.examples.PrimeCount;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * Real processes: two coordinators and two executors run a 50,000-task map-reduce job; the
 * coordinator that owns the job is SIGKILLed in the middle. The other takes the job over from
 * PostgreSQL and finishes it with the exact result, every task counted once.
 */
class CoordinatorFailoverIT {

    private static final long LIMIT = 10_000_000;
    private static final long PRIMES_BELOW_LIMIT = 664_579;

    /** What happens to the coordinator that owns the job. */
    private interface Disruption {
        void apply(Process owner, Runnable awaitTakeover) throws Exception;
    }

    @Test
    void whenTheCoordinatorOwningAJobIsKilledTheOtherFinishesItExactly() throws Exception {
        runThrough("killed (SIGKILL)", 50_000, (owner, awaitTakeover) -> {
            owner.destroyForcibly();
            awaitTakeover.run();
        });
    }

    /**
     * A coordinator frozen (as by a long GC pause) until the other has taken its job over, then
     * let go: its first write is refused by the fence, it rejoins, and nothing is counted twice.
     */
    @Test
    void aCoordinatorFrozenPastItsSessionCannotWriteWhenItWakesUp() throws Exception {
        runThrough("frozen (SIGSTOP), then resumed (SIGCONT)", 20_000, (owner, awaitTakeover) -> {
            signal("STOP", owner);
            try {
                awaitTakeover.run();
            } finally {
                signal("CONT", owner);
            }
        });
    }

    private static void signal(String name, Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
    }

    private void runThrough(String what, int slices, Disruption disruption) throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        DataSource db = Sql.at(jdbcUrl);
        TopicNames topics = new TopicNames("fo-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 4));
        }
        String[] kafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()};
        String[] database = {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        try (FanoutProcesses processes = new FanoutProcesses()) {
            Map<String, Process> coordinators = Map.of(
                    "coord-a", processes.start(join(new String[] {"coordinator", "--coordinator-id", "coord-a", "--group-id",
                            topics.prefix() + "coordinators", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"}, kafka, database)),
                    "coord-b", processes.start(join(new String[] {"coordinator", "--coordinator-id", "coord-b", "--group-id",
                            topics.prefix() + "coordinators", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"}, kafka, database)));
            for (String id : new String[] {"exec-1", "exec-2"}) {
                processes.start(join(new String[] {"executor", "--examples", "--executor-id", id, "--group-id", topics.prefix() + "exec", "--concurrency", "4"}, kafka));
            }
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);

            try (FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                UUID job = client.submit(JobRequests.builder(PrimeCount.NAME).params(new PrimeCount.Params(LIMIT, slices)).build());
                await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
                        .until(() -> Sql.count(db, "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = '" + job + "'") > slices / 5);

                String owner = Sql.text(db, "SELECT o.owner FROM fanout_partition_owner o JOIN fanout_job j ON j.owner_partition = o.partition "
                        + "WHERE j.job_id = '" + job + "'");
                String survivor = owner.equals("coord-a") ? "coord-b" : "coord-a";
                long doneAtKill = Sql.count(db, "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = '" + job + "'");
                long killed = System.nanoTime();
                long[] takeover = new long[1];
                disruption.apply(coordinators.get(owner), () -> {
                    await().atMost(Duration.ofMinutes(1)).until(() -> survivor.equals(Sql.text(db,
                            "SELECT o.owner FROM fanout_partition_owner o JOIN fanout_job j ON j.owner_partition = o.partition WHERE j.job_id = '" + job + "'")));
                    takeover[0] = (System.nanoTime() - killed) / 1_000_000;
                });
                long takeoverMillis = takeover[0];

                JobEvent outcome = client.await(job, Duration.ofMinutes(5));
                long totalMillis = (System.nanoTime() - killed) / 1_000_000;
                System.out.printf("coordinator failover: %s %s with %,d of %,d tasks done; %s took the job over after %,d ms; job done %,d ms after%n",
                        owner, what, doneAtKill, slices + 2, survivor, takeoverMillis, totalMillis);
                assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
                assertEquals(PRIMES_BELOW_LIMIT, outcome.result().asLong());
                assertEquals(slices + 2, outcome.tasks().total());
                assertEquals(slices + 2, outcome.tasks().succeeded(), "every task counted once");
                assertEquals(slices + 2, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = '" + job + "' AND state = 'SUCCEEDED'"));
                assertThat(doneAtKill).isLessThan(slices);
            }
        }
    }

    private static String[] join(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
