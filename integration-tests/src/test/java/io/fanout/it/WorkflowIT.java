package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.Condition;
import io.fanout.shared.workflow.TriggerRule;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowRunRequest;
import io.fanout.shared.workflow.Workflows;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Workflows on a real broker and PostgreSQL: data flows downstream, trigger rules decide, and each node runs once. */
class WorkflowIT {

    /** How many times each processor ran, by name. */
    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    private Processor counted(String name, Processor p) {
        return ctx -> {
            runs.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            return p.process(ctx);
        };
    }

    private int ran(String name) {
        AtomicInteger n = runs.get(name);
        return n == null ? 0 : n.get();
    }

    @Test
    void aDiamondPassesResultsDownstreamAndRunsItsMiddleNodesInParallel() throws Exception {
        CountDownLatch bothStarted = new CountDownLatch(2);
        Processor meet = ctx -> {
            bothStarted.countDown(); // b and c each wait for the other: neither ends unless both run at once
            if (!bothStarted.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other middle node did not start alongside this one");
            }
            return null;
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(
                    "numbers", counted("numbers", ctx -> ctx.params(JsonNode.class).get("n").asLong()),
                    "squares-meet", new SquaresThatMeet(meet, runs.computeIfAbsent("squares-meet", n -> new AtomicInteger())),
                    "triple", counted("triple", ctx -> {
                        meet.process(ctx);
                        return 3 * ctx.params(JsonNode.class).get("x").asLong();
                    }),
                    "add", counted("add", ctx -> {
                        long sum = 0;
                        for (JsonNode v : ctx.params(JsonNode.class).get("values")) {
                            sum += v.asLong();
                        }
                        return sum;
                    })), b -> b.concurrency(4));
            WorkflowDefinition diamond = Workflows.define("diamond-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("numbers").params(Map.of("n", "${params.n}")).build())
                    .node("b", JobRequests.builder("squares-meet").params(Map.of("n", "${nodes.a.result}")).build(), "a")
                    .node("c", JobRequests.builder("triple").params(Map.of("x", "${nodes.a.result}")).build(), "a")
                    .node("d", JobRequests.builder("add").params(Map.of("values", List.of("${nodes.b.result}", "${nodes.c.result}"))).build(), "b", "c")
                    .build();
            List<JobEvent> events = new CopyOnWriteArrayList<>();
            UUID run = cluster.client().run(Workflows.run(diamond, Map.of("n", 100)));
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(2), events::add);

            assertEquals(JobEvent.Type.RUN_FINISHED, outcome.type(), outcome.toString());
            assertEquals(JobState.SUCCEEDED, outcome.state(), outcome.toString());
            DataSource db = cluster.db();
            assertEquals(TestProcessors.SumOfSquares.expected(100) + 300, Long.parseLong(nodeColumn(db, run, "d", "result_json")));
            assertEquals(1, ran("numbers"));
            assertEquals(1, ran("triple"));
            assertEquals(1, ran("add"));
            assertEquals(101, ran("squares-meet"), "b's root and its 100 subtasks, once each");
            assertTrue(overlap(db, run, "b", "c"), "b and c ran at the same time");
            assertEquals(List.of(JobEvent.Type.RUN_STARTED, JobEvent.Type.RUN_FINISHED),
                    events.stream().map(JobEvent::type).filter(t -> t.name().startsWith("RUN_")).toList());
            assertEquals(4, events.stream().filter(e -> e.type() == JobEvent.Type.NODE_STARTED).count());
            assertEquals(4, events.stream().filter(e -> e.type() == JobEvent.Type.NODE_FINISHED && "SUCCEEDED".equals(e.workflow().nodeState())).count());
        }
    }

    /** SumOfSquares whose root meets node c before mapping; counts its runs (a wrapping lambda would hide its reduce). */
    private record SquaresThatMeet(Processor meet, AtomicInteger runs) implements io.fanout.executor.api.MapReduceProcessor {
        @Override
        public Object process(io.fanout.executor.api.TaskContext ctx) throws Exception {
            runs.incrementAndGet();
            if (ctx.isRoot()) {
                meet.process(ctx);
            }
            return new TestProcessors.SumOfSquares().process(ctx);
        }

        @Override
        public Object reduce(io.fanout.executor.api.TaskContext ctx, io.fanout.executor.api.TaskResults results) {
            return new TestProcessors.SumOfSquares().reduce(ctx, results);
        }
    }

    @Test
    void aFailedNodeFailsItsAllSuccessDownstreamAndRunsTheNodesThatHandleFailure() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of(
                    "ok", counted("ok", ctx -> 1),
                    "broken", counted("broken", ctx -> {
                        throw new NonRetryableException("the source is broken");
                    }),
                    "cleanup", counted("cleanup", ctx -> "cleaned"),
                    "alert", counted("alert", ctx -> "alerted")));
            WorkflowDefinition def = Workflows.define("failures-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("ok").build())
                    .node("f", JobRequests.builder("broken").build(), "a")
                    .node("g", JobRequests.builder("ok").build(), "f")
                    .node("j", JobRequests.builder("ok").build(), "g")
                    .node("h", JobRequests.builder("cleanup").build(), TriggerRule.ALL_DONE, null, "f")
                    .node("i", JobRequests.builder("alert").build(), TriggerRule.ONE_FAILED, null, "f")
                    .node("k", JobRequests.builder("cleanup").build(), TriggerRule.ALL_DONE, Condition.failed("f"), "f")
                    .node("l", JobRequests.builder("ok").build(), TriggerRule.ALL_SUCCESS, Condition.resultEquals("a", 999), "a")
                    .node("m", JobRequests.builder("ok").build(), "l")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(2));

            DataSource db = cluster.db();
            Map<String, String> states = Map.of("a", "SUCCEEDED", "f", "FAILED", "g", "UPSTREAM_FAILED", "j", "UPSTREAM_FAILED", "h", "SUCCEEDED",
                    "i", "SUCCEEDED", "k", "SUCCEEDED", "l", "SKIPPED", "m", "SKIPPED");
            states.forEach((node, state) -> assertEquals(state, nodeColumn(db, run, node, "state"), "node " + node));
            assertEquals(JobState.FAILED, outcome.state(), "leaf j ended upstream-failed: " + outcome);
            assertTrue(outcome.error().contains("j UPSTREAM_FAILED") && outcome.error().contains("f FAILED") && outcome.error().contains("the source is broken"),
                    outcome.error());
            assertEquals(1, ran("broken"), "a non-retryable failure runs once");
            assertEquals(2, ran("cleanup"));
            assertEquals(1, ran("alert"));
            assertEquals(1, ran("ok"), "only a ran of the ok nodes");
            assertEquals(null, nodeColumn(db, run, "g", "job_id"), "an upstream-failed node starts no job");
        }
    }

    /**
     * A run that cannot be moved on when its node's job ends (here a database rule refuses its node
     * rows) does not fail the batch that ended the job: the job is stored SUCCEEDED at once, and the
     * run moves on when it can, at a housekeeping round.
     */
    @Test
    void aRunThatCannotMoveOnDoesNotHoldUpTheBatchThatEndedItsNode() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("slow", ctx -> {
                release.await();
                return 1;
            }, "fast", ctx -> 2));
            WorkflowDefinition def = Workflows.define("refused-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("slow").build())
                    .node("b", JobRequests.builder("fast").build(), "a")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            DataSource db = cluster.db();
            org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).until(() -> "RUNNING".equals(nodeColumn(db, run, "a", "state")));
            String rule = "refuse_nodes_of_" + run.toString().replace('-', '_');
            Sql.execute(db, "CREATE FUNCTION " + rule + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.run_id = '" + run
                    + "' THEN RAISE EXCEPTION 'node rows refused by a database rule'; END IF; RETURN NEW; END $$");
            Sql.execute(db, "CREATE TRIGGER " + rule + " BEFORE UPDATE ON fanout_workflow_node FOR EACH ROW EXECUTE FUNCTION " + rule + "()");
            try {
                UUID a = UUID.fromString(nodeColumn(db, run, "a", "job_id"));
                release.countDown();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                        .until(() -> "SUCCEEDED".equals(Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", a)));
                assertEquals("RUNNING", nodeColumn(db, run, "a", "state"), "the node waits while its rows are refused");
            } finally {
                Sql.execute(db, "DROP TRIGGER " + rule + " ON fanout_workflow_node");
                Sql.execute(db, "DROP FUNCTION " + rule + "()");
            }
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(1));
            assertEquals(JobState.SUCCEEDED, outcome.state(), outcome.toString());
            assertEquals("SUCCEEDED", nodeColumn(db, run, "b", "state"));
        }
    }

    /** A rule that fires at the first upstream outcome still waits for the node its condition reads. */
    @Test
    void aConditionWaitsForTheNodeItReadsWhateverTheTriggerRule() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("fast", ctx -> 1, "slow", ctx -> {
                release.await();
                return 7;
            }, "branch", ctx -> "taken"));
            WorkflowDefinition def = Workflows.define("wait-for-condition-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("fast").build())
                    .node("s", JobRequests.builder("slow").build())
                    .node("n", JobRequests.builder("branch").build(), TriggerRule.ONE_SUCCESS, Condition.resultEquals("s", 7), "a", "s")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            DataSource db = cluster.db();
            org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(nodeColumn(db, run, "a", "state")));
            assertEquals("PENDING", nodeColumn(db, run, "n", "state"), "a has succeeded, but n's condition reads s, still running");
            release.countDown();
            assertEquals(JobState.SUCCEEDED, cluster.client().await(run, Duration.ofMinutes(1)).state());
            assertEquals("SUCCEEDED", nodeColumn(db, run, "n", "state"));
        }
    }

    @Test
    void aFailureHandledByALeafEndsTheRunSucceeded() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("broken", ctx -> {
                throw new NonRetryableException("broken");
            }, "alert", ctx -> "alerted"));
            WorkflowDefinition def = Workflows.define("handled-" + UUID.randomUUID())
                    .node("f", JobRequests.builder("broken").build())
                    .node("alert", JobRequests.builder("alert").build(), TriggerRule.ONE_FAILED, null, "f")
                    .build();
            JobEvent outcome = cluster.client().await(cluster.client().run(Workflows.run(def, null)), Duration.ofMinutes(2));
            assertEquals(JobState.SUCCEEDED, outcome.state(), "the only leaf, alert, succeeded: " + outcome);
        }
    }

    @Test
    void aRunOfAStoredWorkflowIsIdempotentByKeyAndReferencesItsParameters() throws Exception {
        AtomicInteger echoes = new AtomicInteger();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("echo", ctx -> {
                echoes.incrementAndGet();
                return ctx.params(JsonNode.class);
            }));
            WorkflowDefinition def = Workflows.define("stored-" + UUID.randomUUID())
                    .node("e", JobRequests.builder("echo").params(Map.of("day", "${params.date}", "label", "day ${params.date}")).build())
                    .build();
            JobEvent first = cluster.client().await(cluster.client().run(Workflows.run(def, Map.of("date", "2026-12-01"))), Duration.ofMinutes(2));
            assertEquals(JobState.SUCCEEDED, first.state(), first.toString());

            // By name, the latest stored version; twice under one key: one run.
            WorkflowRunRequest byName = Workflows.withKey(Workflows.run(def.name(), Map.of("date", "2026-12-02")), "daily-" + UUID.randomUUID());
            UUID run = cluster.client().run(byName);
            cluster.client().run(byName);
            JobEvent second = cluster.client().await(run, Duration.ofMinutes(2));
            assertEquals(JobState.SUCCEEDED, second.state(), second.toString());
            assertEquals(Json.readTree("{\"day\": \"2026-12-02\", \"label\": \"day 2026-12-02\"}"),
                    Json.readTree(nodeColumn(cluster.db(), run, "e", "result_json")));
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_workflow_run WHERE client_key = ?", byName.key()));
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_workflow WHERE name = ?", def.name()), "the same definition is one version");
            assertEquals(2, echoes.get(), "one node run per workflow run");

            // A newer version is defined; the first definition sent again (a keyed inline request) neither runs again nor becomes the latest.
            WorkflowDefinition newer = Workflows.define(def.name()).node("e", JobRequests.builder("echo").params(Map.of("day", "${params.date}")).build())
                    .build();
            try (java.sql.Connection c = cluster.db().getConnection()) {
                assertEquals(2, new io.fanout.coordinator.workflow.WorkflowVersions().define(c, newer));
            }
            WorkflowRunRequest inline = Workflows.withKey(Workflows.run(def, Map.of("date", "2026-12-03")), "inline-" + UUID.randomUUID());
            assertEquals(JobState.SUCCEEDED, cluster.client().await(cluster.client().run(inline), Duration.ofMinutes(2)).state());
            JobEvent answered = cluster.client().await(cluster.client().run(inline), Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.RUN_FINISHED, answered.type(), "a request for an ended run is answered with its outcome");
            assertEquals(1, answered.workflow().version(), "the inline definition is version 1, stored before");
            assertEquals(2, Sql.count(cluster.db(), "SELECT max(version) FROM fanout_workflow WHERE name = ?", def.name()));
            assertEquals(3, echoes.get());
        }
    }

    @Test
    void runRequestsThatCannotRunAreRejectedWithTheirReason() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, Set.of("known"))) {
            WorkflowDefinition def = Workflows.define("unknown-processor-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("known").build())
                    .node("b", JobRequests.builder("nowhere").build(), "a")
                    .build();
            JobEvent rejected = cluster.client().await(cluster.client().run(Workflows.run(def, null)), Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.REJECTED, rejected.type());
            assertTrue(rejected.reason().contains("node b: unknown processor 'nowhere'"), rejected.reason());

            JobEvent missing = cluster.client().await(cluster.client().run(Workflows.run("no-such-workflow", null)), Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.REJECTED, missing.type());
            assertTrue(missing.reason().contains("no workflow 'no-such-workflow'"), missing.reason());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_workflow_run"));
        }
    }

    @Test
    void aNodeWhoseJobCannotBeMadeFromItsInputsFailsWithTheReason() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("scalar", ctx -> 5, "each", ctx -> ctx.payload(Long.class)));
            String definition = """
                    {"name": "bad-items-%s", "nodes": [
                      {"name": "a", "job": {"processor": "scalar"}},
                      {"name": "b", "job": {"processor": "each", "items": "${nodes.a.result}", "taskName": "x"}}],
                     "edges": [["a", "b"]]}""".formatted(UUID.randomUUID());
            UUID run = cluster.client().run(WorkflowRunRequest.parse(Json.readTree("{\"workflow\": " + definition + "}")));
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(2));
            assertEquals(JobState.FAILED, outcome.state());
            String error = nodeColumn(cluster.db(), run, "b", "error");
            assertNotNull(error);
            assertTrue(error.contains("its job could not be made") && error.contains("'items' must be an array"), error);
        }
    }

    private static String nodeColumn(DataSource db, UUID run, String node, String column) {
        return Sql.text(db, "SELECT " + column + "::text FROM fanout_workflow_node WHERE run_id = ? AND node = ?", run, node);
    }

    /** Whether the two nodes' jobs ran at overlapping times (from the stored times of their tasks). */
    private static boolean overlap(DataSource db, UUID run, String x, String y) {
        return Boolean.parseBoolean(Sql.text(db, """
                WITH span AS (SELECT n.node, min(t.started_at) AS s, max(t.finished_at) AS e
                              FROM fanout_task t JOIN fanout_workflow_node n ON n.job_id = t.job_id WHERE n.run_id = ? GROUP BY n.node)
                SELECT (x.s <= y.e AND y.s <= x.e)::text FROM span x, span y WHERE x.node = ? AND y.node = ?""", run, x, y));
    }
}
