package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.client.FanoutClient;
import io.fanout.coordinator.store.Database;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.Processor;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** A coordinator as a real process: it judges executors fairly after a stall of its own, and a dead loop ends it with a non-zero exit. */
class CoordinatorProcessIT {

    private final String bootstrap = SharedInfrastructure.bootstrapServers();
    private final String jdbcUrl = SharedInfrastructure.newDatabase();
    private final TopicNames topics = new TopicNames("cp-" + UUID.randomUUID().toString().substring(0, 8) + ".");

    private String[] coordinator(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("coordinator", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(),
                "--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private void provision() {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 2));
        }
    }

    /**
     * Frozen (as by a long GC pause) for longer than task-lost-after while an executor runs a task
     * and reports it: on waking the coordinator reads the reports that piled up before it judges
     * the task, so the task is not presumed lost and runs once.
     */
    @Test
    void aCoordinatorThatStalledReadsTheHeartbeatsBeforeItJudgesATaskLost() throws Exception {
        provision();
        DataSource db = Sql.at(jdbcUrl);
        Processor slow = ctx -> {
            Thread.sleep(8_000);
            return "done";
        };
        try (FanoutProcesses processes = new FanoutProcesses();
             FanoutExecutor executor = FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                     .groupId(topics.prefix() + "executors").processors(Map.of("slow", slow)).heartbeatInterval(Duration.ofMillis(300)).build());
             FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
            Process coordinator = processes.start(coordinator("--task-lost-after", "PT2S"));
            UUID job = client.submit(JobRequests.builder("slow").build());
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> "RUNNING".equals(Sql.text(db, "SELECT state FROM fanout_task WHERE job_id = ?", job)));
            signal("STOP", coordinator);
            try {
                Thread.sleep(4_000); // the stall itself: twice task-lost-after, while the executor goes on reporting
            } finally {
                signal("CONT", coordinator);
            }
            JobEvent outcome = client.await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(0, Sql.count(db, "SELECT attempt FROM fanout_task WHERE job_id = ?", job), "the task ran once: it was never presumed lost");
        }
    }

    /** A coordinator whose loop dies (here: it cannot claim partitions, for good) exits with status 70 instead of staying up doing nothing. */
    @Test
    void aCoordinatorWhoseLoopDiesExitsWithStatus70() throws Exception {
        provision();
        Database.connect(jdbcUrl, SharedInfrastructure.dbUser(), null, 2).close(); // the schema, migrated
        try (Connection c = Sql.at(jdbcUrl).getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE fanout_partition_owner");
        }
        try (FanoutProcesses processes = new FanoutProcesses()) {
            Process coordinator = processes.start(coordinator());
            assertTrue(coordinator.waitFor(2, TimeUnit.MINUTES), "the coordinator exited");
            assertEquals(70, coordinator.exitValue());
            assertThat(processes.output(coordinator)).contains("fanout-coordinator-loop stopped by").contains("could not claim partitions");
        }
    }

    private static void signal(String name, Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
    }
}
