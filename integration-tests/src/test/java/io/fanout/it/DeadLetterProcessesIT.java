package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.client.FanoutClient;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.shared.TopicNames;
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
 * Dead letters across real processes: of two coordinator JVMs, the one that owns the letter's
 * partition sweeps it; it is SIGKILLed and the other, taking the partition over, sweeps it; an
 * operator works the letters with {@code fanout dlq} (reads from PostgreSQL, commands over Kafka).
 */
class DeadLetterProcessesIT {

    @Test
    void whenTheLettersOwnerIsKilledItsSuccessorSweepsAndOperatorsCanWorkTheLetters() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        DataSource db = Sql.at(jdbcUrl);
        TopicNames topics = new TopicNames("dlq-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 2));
        }
        String[] common = {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--jdbc-url", jdbcUrl, "--db-user",
                SharedInfrastructure.dbUser()};
        try (FanoutProcesses processes = new FanoutProcesses()) {
            Map<String, Process> coordinators = Map.of(
                    "proc-a", processes.start(coordinator(common, "proc-a", topics)),
                    "proc-b", processes.start(coordinator(common, "proc-b", topics)));
            // both own partitions before the job starts: a partition moving to a late joiner would make two owners in turn sweep the letter
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);
            try (FanoutExecutor executor = FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                    .groupId(topics.prefix() + "exec").processor("broken", ctx -> {
                        throw new NonRetryableException("still broken");
                    }).build());
                 FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                UUID job = client.submit(JobRequests.builder("broken").build());
                await().atMost(Duration.ofMinutes(1)).ignoreExceptions() // until the coordinators have created the schema
                        .until(() -> Sql.count(db, "SELECT count(*) FROM fanout_replay") >= 3);

                String owner = Sql.text(db, "SELECT min(actor) FROM fanout_replay").substring("sweeper ".length());
                String survivor = owner.equals("proc-a") ? "proc-b" : "proc-a";
                assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_replay WHERE actor <> 'sweeper " + owner + "'"),
                        "only the owner of the letter's partition sweeps it");

                long killed = System.nanoTime();
                coordinators.get(owner).destroyForcibly(); // SIGKILL: nothing is handed over
                // The job's partitions move to the survivor once the group drops the dead member; then it sweeps the letter.
                await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_replay WHERE actor = 'sweeper " + survivor + "'") >= 1);
                System.out.printf("sweeping taken over %d ms after SIGKILL of the letter's owner (group session timeout 6 s)%n",
                        (System.nanoTime() - killed) / 1_000_000);

                FanoutProcesses.Result list = processes.run(args(common, "dlq", "list", "--job", job.toString()));
                assertEquals(0, list.exitCode(), list.err());
                assertThat(list.out()).contains("NON_RETRYABLE").contains(job.toString()).contains("NonRetryableException: still broken");
                long id = Sql.count(db, "SELECT id FROM fanout_dead_letter WHERE job_id = '" + job + "'");

                FanoutProcesses.Result show = processes.run(args(common, "dlq", "show", Long.toString(id)));
                assertEquals(0, show.exitCode(), show.err());
                assertThat(show.out()).contains("reason      NON_RETRYABLE").contains("at io.fanout.it.DeadLetterProcessesIT").contains("REPLAY  by sweeper");

                FanoutProcesses.Result park = processes.run(args(common, "dlq", "park", Long.toString(id), "--as", "dana"));
                assertEquals(0, park.exitCode(), park.out() + park.err());
                await().atMost(Duration.ofSeconds(30)).until(() -> "PARKED".equals(Sql.text(db, "SELECT state FROM fanout_dead_letter WHERE id = " + id)));
                FanoutProcesses.Result again = processes.run(args(common, "dlq", "park", Long.toString(id)));
                assertEquals(1, again.exitCode(), "parking twice is refused");
                assertThat(again.out()).contains("already parked");

                FanoutProcesses.Result dry = processes.run(args(common, "dlq", "replay", "--job", job.toString(), "--dry-run"));
                assertEquals(0, dry.exitCode(), dry.err());
                assertThat(dry.out()).contains("would be task").contains("1 of 1 would be replayed");
                assertEquals(4, processes.run(args(common, "dlq", "show", "999999")).exitCode(), "no such letter");
                assertEquals(4, processes.run(args(common, "dlq", "replay", "--error", "no.such.Error")).exitCode(), "nothing matched");
                assertEquals(2, processes.run(args(common, "dlq", "replay")).exitCode(), "no letter named");
            }
        }
    }

    private static String[] coordinator(String[] common, String id, TopicNames topics) {
        return args(common, "coordinator", "--coordinator-id", id, "--group-id", topics.prefix() + "coordinators", "--sweeper-interval", "PT0.2S",
                "--sweeper-min-age", "PT0S", "--sweeper-max-replays", "1000",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000");
    }

    private static String[] args(String[] common, String... first) {
        String[] all = new String[first.length + common.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(common, 0, all, first.length, common.length);
        return all;
    }
}
