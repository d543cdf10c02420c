package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.examples.PrimeCount;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * Real processes: two coordinators, two executors, and the CLI defining, running (--wait) and
 * showing a 20-node workflow with a map/reduce node. The coordinator that owns the run is
 * SIGKILLed in the middle; the other takes the run over from PostgreSQL and completes it: every
 * node started once (one job each), with the exact result.
 */
class WorkflowFailoverIT {

    private static final long PRIMES_BELOW_2M = 148_933;

    @Test
    void whenTheCoordinatorOwningARunIsKilledTheOtherCompletesItAndEveryNodeRunsOnce() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        DataSource db = Sql.at(jdbcUrl);
        TopicNames topics = new TopicNames("wf-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(new TopicLayout(topics, 2, 4));
        }
        String[] kafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()};
        String[] database = {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        Path definition = Files.createTempFile("workflow-", ".json");
        Files.writeString(definition, Json.toText(twentyNodes()));
        try (FanoutProcesses processes = new FanoutProcesses()) {
            FanoutProcesses.Result defined = processes.run(join(new String[] {"workflow", "define", definition.toString()}, database));
            assertEquals(0, defined.exitCode(), defined.err());
            assertTrue(defined.out().contains("workflow twenty: version 1 (20 nodes"), defined.out());

            Map<String, Process> coordinators = Map.of(
                    "coord-a", processes.start(join(new String[] {"coordinator", "--coordinator-id", "coord-a", "--group-id",
                            topics.prefix() + "coordinators", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"}, kafka, database)),
                    "coord-b", processes.start(join(new String[] {"coordinator", "--coordinator-id", "coord-b", "--group-id",
                            topics.prefix() + "coordinators", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"}, kafka, database)));
            for (String id : new String[] {"exec-1", "exec-2"}) {
                processes.start(join(new String[] {"executor", "--executor-id", id, "--group-id", topics.prefix() + "exec", "--concurrency", "4",
                        "--processor", WorkflowProcessors.Step.NAME + "=" + WorkflowProcessors.Step.class.getName(),
                        "--processor", PrimeCount.NAME + "=" + PrimeCount.class.getName()}, kafka));
            }
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);

            Process cli = processes.start(join(new String[] {"workflow", "run", "twenty", "--wait", "--timeout", "PT5M"}, kafka));
            Pattern submitted = Pattern.compile("submitted workflow run ([0-9a-f-]{36})");
            String[] runId = new String[1];
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                Matcher m = submitted.matcher(processes.output(cli));
                return m.find() && (runId[0] = m.group(1)) != null;
            });
            UUID run = UUID.fromString(runId[0]);
            await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(*) FROM fanout_workflow_node WHERE run_id = ? AND state = 'SUCCEEDED'", run) >= 5);
            String owner = Sql.text(db, "SELECT o.owner FROM fanout_partition_owner o JOIN fanout_workflow_run r ON r.owner_partition = o.partition "
                    + "WHERE r.run_id = ?", run);
            long doneAtKill = Sql.count(db, "SELECT count(*) FROM fanout_workflow_node WHERE run_id = ? AND state = 'SUCCEEDED'", run);
            coordinators.get(owner).destroyForcibly();

            assertTrue(cli.waitFor(5, TimeUnit.MINUTES), "the run ends");
            String out = processes.output(cli);
            assertEquals(0, cli.exitValue(), out);
            assertTrue(out.contains("run " + run + " SUCCEEDED"), out);
            assertTrue(doneAtKill < 20, "the owner was killed mid-run");

            assertEquals(20, Sql.count(db, "SELECT count(*) FROM fanout_workflow_node WHERE run_id = ? AND state = 'SUCCEEDED' AND attempt = 0", run));
            assertEquals(20, Sql.count(db, "SELECT count(*) FROM fanout_job j JOIN fanout_workflow_node n ON n.job_id = j.job_id "
                    + "WHERE n.run_id = ? AND j.state = 'SUCCEEDED' AND j.total_tasks = j.succeeded_tasks", run), "one job per node, each task counted once");
            assertEquals(20, Sql.count(db, "SELECT count(*) FROM fanout_job"), "no node started a second job");
            assertEquals(PRIMES_BELOW_2M, Long.parseLong(Sql.text(db, "SELECT result_json FROM fanout_workflow_node WHERE run_id = ? AND node = 'primes'", run)));
            assertEquals(1 + 4 * 5 + PRIMES_BELOW_2M + 1, Long.parseLong(Sql.text(db, "SELECT result_json FROM fanout_workflow_node WHERE run_id = ? AND node = 'n18'", run)));

            FanoutProcesses.Result status = processes.run(join(new String[] {"workflow", "status", run.toString()}, database));
            assertEquals(0, status.exitCode(), status.err());
            assertTrue(status.out().contains("state     SUCCEEDED") && status.out().contains("primes") && status.out().contains(Long.toString(PRIMES_BELOW_2M)),
                    status.out());
            System.out.printf("workflow failover: %s killed with %d of 20 nodes done; the run completed%n", owner, doneAtKill);
        }
    }

    /**
     * n0, then four chains of four steps (n1..n16) and a map/reduce prime count, joined by n17 and
     * ended by n18. A step returns 1 + the sum of its inputs, so n18's result is exact.
     */
    private static ObjectNode twentyNodes() {
        ObjectNode def = Json.mapper().createObjectNode();
        def.put("name", "twenty");
        ArrayNode nodes = def.putArray("nodes");
        ArrayNode edges = def.putArray("edges");
        step(nodes, "n0", List.of());
        for (int i = 1; i <= 16; i++) {
            String up = i <= 4 ? "n0" : "n" + (i - 4);
            step(nodes, "n" + i, List.of(up));
            edges.addArray().add(up).add("n" + i);
        }
        ObjectNode primes = nodes.addObject();
        primes.put("name", "primes");
        primes.putObject("job").put("processor", PrimeCount.NAME).putObject("params").put("limit", 2_000_000).put("slices", 100);
        edges.addArray().add("n0").add("primes");
        step(nodes, "n17", List.of("n13", "n14", "n15", "n16", "primes"));
        for (String up : List.of("n13", "n14", "n15", "n16", "primes")) {
            edges.addArray().add(up).add("n17");
        }
        step(nodes, "n18", List.of("n17"));
        edges.addArray().add("n17").add("n18");
        return def;
    }

    private static void step(ArrayNode nodes, String name, List<String> inputs) {
        ObjectNode n = nodes.addObject();
        n.put("name", name);
        ArrayNode in = n.putObject("job").put("processor", WorkflowProcessors.Step.NAME).putObject("params").putArray("inputs");
        inputs.forEach(u -> in.add("${nodes." + u + ".result}"));
    }

    private static String[] join(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
