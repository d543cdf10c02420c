package io.fanout.it;

import io.fanout.shared.command.CommandResult;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import io.fanout.shared.command.RunCommand;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Operating workflow runs: retry from failure, mark a node succeeded, cancel, suspend and resume. */
class WorkflowControlIT {

    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    /** Counts its runs under the node name it is given in its params, and returns 1 + the sum of its "inputs". */
    private Processor step() {
        return ctx -> {
            JsonNode p = ctx.params(JsonNode.class);
            runs.computeIfAbsent(p.get("node").asText(), n -> new AtomicInteger()).incrementAndGet();
            long sum = 1;
            for (JsonNode in : p.path("inputs")) {
                sum += in.asLong();
            }
            return sum;
        };
    }

    private int ran(String node) {
        AtomicInteger n = runs.get(node);
        return n == null ? 0 : n.get();
    }

    private static Map<String, Object> params(String node, String... inputs) {
        return Map.of("node", node, "inputs", List.of(inputs).stream().map(i -> "${nodes." + i + ".result}").toList());
    }

    /**
     * a → b → c, a → d, and b → e: b fails until it is fixed. The retry runs b and what it failed
     * (c, e) only; a and d, which succeeded, keep their results and do not run again.
     */
    @Test
    void retryFromFailureRunsTheFailedNodesAndTheirDownstreamOnly() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        Processor step = step();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("step", step, "fragile", ctx -> {
                if (broken.get()) {
                    runs.computeIfAbsent("b", n -> new AtomicInteger()).incrementAndGet();
                    throw new NonRetryableException("the input is not there yet");
                }
                return step.process(ctx);
            }));
            WorkflowDefinition def = Workflows.define("retry-" + UUID.randomUUID())
                    .node("a", JobRequests.builder("step").params(params("a")).build())
                    .node("b", JobRequests.builder("fragile").params(params("b", "a")).build(), "a")
                    .node("c", JobRequests.builder("step").params(params("c", "b")).build(), "b")
                    .node("d", JobRequests.builder("step").params(params("d", "a")).build(), "a")
                    .node("e", JobRequests.builder("step").params(params("e", "b", "d")).build(), "b", "d")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            assertEquals(JobState.FAILED, cluster.client().await(run, Duration.ofMinutes(2)).state());
            assertEquals(List.of(1, 1, 0, 1, 0), List.of(ran("a"), ran("b"), ran("c"), ran("d"), ran("e")));

            broken.set(false);
            cluster.client().follow(run);
            CommandResult retried = control(cluster, RunCommand.retry(run, null, "test"));
            assertTrue(retried.done(), retried.message());
            assertEquals("workflow run " + run + " retried: b, c, e run again", retried.message());
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(2));

            assertEquals(JobState.SUCCEEDED, outcome.state(), outcome.toString());
            assertEquals(List.of(1, 2, 1, 1, 1), List.of(ran("a"), ran("b"), ran("c"), ran("d"), ran("e")), "a and d did not run again");
            assertEquals("5", nodeColumn(cluster, run, "e", "result_json"), "e = 1 + b (2) + d (2), b taking its input from the result a kept");
            assertEquals("1", nodeColumn(cluster, run, "b", "attempt"), "b's second attempt ran as a job of its own");
            assertEquals("0", nodeColumn(cluster, run, "a", "attempt"));

            CommandResult again = control(cluster, RunCommand.retry(run, null, "test"));
            assertFalse(again.done(), "a succeeded run has nothing to retry");
            cluster.client().follow(run);
            assertTrue(control(cluster, RunCommand.retry(run, "d", "test")).done());
            assertEquals(JobState.SUCCEEDED, cluster.client().await(run, Duration.ofMinutes(2)).state());
            assertEquals(List.of(1, 2, 1, 2, 2), List.of(ran("a"), ran("b"), ran("c"), ran("d"), ran("e")), "--from d: d and e only");
        }
    }

    @Test
    void aNodeMarkedSucceededByHandUnblocksItsRunWithTheGivenResult() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("step", step(), "broken", ctx -> {
                throw new NonRetryableException("broken for good");
            }));
            WorkflowDefinition def = Workflows.define("mark-" + UUID.randomUUID())
                    .node("f", JobRequests.builder("broken").build())
                    .node("g", JobRequests.builder("step").params(params("g", "f")).build(), "f")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            assertEquals(JobState.FAILED, cluster.client().await(run, Duration.ofMinutes(2)).state());
            assertEquals("UPSTREAM_FAILED", nodeColumn(cluster, run, "g", "state"));

            cluster.client().follow(run);
            CommandResult marked = control(cluster, RunCommand.markSucceeded(run, "f", IntNode.valueOf(41), "test"));
            assertTrue(marked.done(), marked.message());
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(2));
            assertEquals(JobState.SUCCEEDED, outcome.state(), outcome.toString());
            assertEquals("42", nodeColumn(cluster, run, "g", "result_json"), "g saw the result given by hand");
            assertFalse(control(cluster, RunCommand.markSucceeded(run, "nope", null, "test")).done());
        }
    }

    @Test
    void aCancelledRunStartsNothingMoreAndCancelsItsRunningNodeJob() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("step", step(), "slow", ctx -> {
                started.countDown();
                never.await(); // interrupted by the cancel order
                return null;
            }));
            WorkflowDefinition def = Workflows.define("cancel-" + UUID.randomUUID())
                    .node("s", JobRequests.builder("slow").build())
                    .node("t", JobRequests.builder("step").params(params("t")).build(), "s")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            started.await();
            assertTrue(control(cluster, RunCommand.of(RunCommand.Kind.CANCEL, run, "test")).done());
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.RUN_FINISHED, outcome.type());
            assertEquals(JobState.CANCELLED, outcome.state());
            assertEquals("CANCELLED", nodeColumn(cluster, run, "s", "state"));
            assertEquals("CANCELLED", nodeColumn(cluster, run, "t", "state"));
            String job = nodeColumn(cluster, run, "s", "job_id");
            assertEquals("CANCELLED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?::uuid", job));
            assertFalse(control(cluster, RunCommand.of(RunCommand.Kind.CANCEL, run, "test")).done(), "an ended run cannot be cancelled");
            assertEquals(0, ran("t"));

            // A cancelled run is retried from where it stopped: both nodes run, s as a new attempt.
            never.countDown();
            cluster.client().follow(run);
            assertTrue(control(cluster, RunCommand.retry(run, null, "test")).done());
            assertEquals(JobState.SUCCEEDED, cluster.client().await(run, Duration.ofMinutes(1)).state());
            assertEquals("1", nodeColumn(cluster, run, "s", "attempt"));
            assertEquals(1, ran("t"));
        }
    }

    @Test
    void aNodeIsNotMarkedSucceededWhileANodeAfterItRuns() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("broken", ctx -> {
                throw new NonRetryableException("broken");
            }, "cleanup", ctx -> {
                release.await();
                return "cleaned";
            }));
            WorkflowDefinition def = Workflows.define("mark-running-" + UUID.randomUUID())
                    .node("f", JobRequests.builder("broken").build())
                    .node("c", JobRequests.builder("cleanup").build(), io.fanout.shared.workflow.TriggerRule.ALL_DONE, null, "f")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            await().atMost(Duration.ofMinutes(1)).until(() -> "RUNNING".equals(nodeColumn(cluster, run, "c", "state")));

            CommandResult refused = control(cluster, RunCommand.markSucceeded(run, "f", null, "test"));
            assertFalse(refused.done());
            assertTrue(refused.message().contains("nodes after f are running (c)"), refused.message());
            assertEquals("FAILED", nodeColumn(cluster, run, "f", "state"));
            release.countDown();
            assertEquals(JobState.SUCCEEDED, cluster.client().await(run, Duration.ofMinutes(1)).state(), "c, the only leaf, succeeded");
            assertEquals("0", nodeColumn(cluster, run, "c", "attempt"), "c's job was not started twice");
        }
    }

    @Test
    void aSuspendedRunStartsNoNewNodeUntilResumed() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("step", step(), "gate", ctx -> {
                release.await();
                return 1;
            }));
            WorkflowDefinition def = Workflows.define("suspend-" + UUID.randomUUID())
                    .node("g", JobRequests.builder("gate").build())
                    .node("h", JobRequests.builder("step").params(params("h", "g")).build(), "g")
                    .build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            await().atMost(Duration.ofMinutes(1)).until(() -> "RUNNING".equals(nodeColumn(cluster, run, "g", "state")));
            assertTrue(control(cluster, RunCommand.of(RunCommand.Kind.SUSPEND, run, "test")).done());
            release.countDown();

            // g's end is recorded in the same transaction that would start h: once g is SUCCEEDED, h was passed over.
            await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(nodeColumn(cluster, run, "g", "state")));
            assertEquals("PENDING", nodeColumn(cluster, run, "h", "state"));
            assertEquals("SUSPENDED", Sql.text(cluster.db(), "SELECT state FROM fanout_workflow_run WHERE run_id = ?", run));

            cluster.client().follow(run);
            assertTrue(control(cluster, RunCommand.of(RunCommand.Kind.RESUME, run, "test")).done());
            JobEvent outcome = cluster.client().await(run, Duration.ofMinutes(1));
            assertEquals(JobState.SUCCEEDED, outcome.state(), outcome.toString());
            assertEquals(1, ran("h"));
        }
    }

    /** A run command through the jobs topic, as the CLI and the API send it, answered by the run's coordinator. */
    private static CommandResult control(FanoutCluster cluster, RunCommand command) throws Exception {
        return cluster.client().command(command, Duration.ofSeconds(30));
    }

    private static String nodeColumn(FanoutCluster cluster, UUID run, String node, String column) {
        return Sql.text(cluster.db(), "SELECT " + column + "::text FROM fanout_workflow_node WHERE run_id = ? AND node = ?", run, node);
    }
}
