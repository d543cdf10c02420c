package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fanout.coordinator.AlertPolicy;
import io.fanout.executor.api.Processor;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowDefinitions;
import io.fanout.shared.workflow.Workflows;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 22, H1: the coordinator POSTs a job's own alerts only where the installation allows
 * (scheme, host and port): for plain jobs, workflow nodes (written out or made of a {@code ${...}}
 * reference) and at delivery. The allowed receiver and the forbidden one share a host and differ in
 * port, which the old host-only check let through.
 */
class WebhookAllowListIT {

    private static final RetryPolicy ONCE = new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO, 0, List.of());
    private static final Processor FAILING = ctx -> {
        throw new IllegalStateException("boom");
    };

    private HttpServer allowed;
    private HttpServer forbidden;
    private final List<String> forbiddenGot = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startReceivers() throws Exception {
        allowed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        allowed.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        forbidden = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        forbidden.createContext("/", ex -> {
            forbiddenGot.add(new String(ex.getRequestBody().readAllBytes()));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        allowed.start();
        forbidden.start();
    }

    @AfterEach
    void stopReceivers() {
        allowed.stop(0);
        forbidden.stop(0);
    }

    private URI forbiddenUrl() {
        return URI.create("http://127.0.0.1:" + forbidden.getAddress().getPort() + "/x");
    }

    private FanoutCluster cluster() {
        URI hook = URI.create("http://127.0.0.1:" + allowed.getAddress().getPort() + "/hook");
        AlertPolicy policy = new AlertPolicy(List.of(hook), Set.of(), "s", Duration.ofMinutes(5), Duration.ofMillis(200), 3, Duration.ofSeconds(15));
        return new FanoutCluster(2, b -> b.alerts(policy));
    }

    @Test
    void aPlainJobNamingAnotherPortIsRejected() throws Exception {
        try (FanoutCluster cluster = cluster()) {
            UUID job = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail").alertWebhooks(List.of(forbiddenUrl())).build());
            JobEvent event = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.REJECTED, event.type());
            assertTrue(event.reason().contains("is not allowed here"), event.reason());
        }
    }

    @Test
    void aWorkflowNodeNamingAForbiddenWebhookIsRefusedAtStart() throws Exception {
        try (FanoutCluster cluster = cluster()) {
            WorkflowDefinition flow = Workflows.define("hooked-" + UUID.randomUUID())
                    .node("only", JobRequests.builder("failing").items(List.of(1L), "fail").retry(ONCE).alertWebhooks(List.of(forbiddenUrl())).build())
                    .build();
            JobEvent refused = cluster.client().await(cluster.client().run(Workflows.run(flow, null)), Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.REJECTED, refused.type(), refused.toString());
            assertTrue(refused.reason().contains("node only: alert webhook"), refused.reason());
        }
    }

    @Test
    void aNodeWebhookResolvedFromARunParameterIsCheckedWhenResolved() throws Exception {
        try (FanoutCluster cluster = cluster()) {
            cluster.startExecutor(Map.of("failing", FAILING));
            WorkflowDefinition flow = WorkflowDefinitions.parse(Json.toBytes(Json.readTree("""
                    {"name": "resolved-%s", "nodes": [{"name": "only", "job": {"processor": "failing", "items": [1], "taskName": "fail",
                      "alerts": {"webhooks": ["${params.hook}"]}}}]}""".formatted(UUID.randomUUID()))));
            UUID run = cluster.client().run(Workflows.run(flow, Map.of("hook", forbiddenUrl().toString())));
            assertEquals(JobState.FAILED, cluster.client().await(run, Duration.ofSeconds(60)).state());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE ? = ANY (alert_webhooks)", forbiddenUrl().toString()),
                    "no node job was made with the forbidden webhook");
            assertTrue(Sql.text(cluster.db(), "SELECT error FROM fanout_workflow_node WHERE run_id = ?", run).contains("is not allowed here"));
        }
    }

    /** A schedule is stored by the API, which does not know the coordinator's allow-list: the coordinator checks each job it fires. */
    @Test
    void aScheduledJobNamingAForbiddenWebhookIsRejectedWhenItFires() throws Exception {
        try (FanoutCluster cluster = cluster()) {
            cluster.coordinator().schedules().put("hooked", "0 3 * * *", "UTC", "{\"processor\": \"failing\", \"alerts\": {\"webhooks\": [\""
                    + forbiddenUrl() + "\"]}}", "allow");
            cluster.coordinator().schedules().triggerNow("hooked");
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_rejected_request WHERE reason LIKE '%is not allowed here%' AND request LIKE '%schedule:hooked%'") == 1);
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE client_key LIKE 'schedule:hooked:%'"));
        }
    }

    @Test
    void anAlertStoredForAForbiddenWebhookIsGivenUpNotSent() throws Exception {
        try (FanoutCluster cluster = cluster()) {
            Sql.execute(cluster.db(), "INSERT INTO fanout_alert (kind, subject, url, payload) VALUES ('job.failed', 'stored', ?, '{}')",
                    forbiddenUrl().toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_alert WHERE subject = 'stored' AND gave_up_at IS NOT NULL AND last_error LIKE '%not allowed here%'") == 1);
            assertEquals(List.of(), forbiddenGot);
        }
    }
}
