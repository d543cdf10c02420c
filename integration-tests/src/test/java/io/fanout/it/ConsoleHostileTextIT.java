package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 22: text that anyone who can fail a task, write a heartbeat or be named in the audit log
 * chooses (exception messages and classes, stack traces, executor hosts and ids, actors) is shown
 * by every console page that shows stored text, escaped in every context (element, attribute,
 * SVG, URL): no page carries a payload as markup.
 */
class ConsoleHostileTextIT {

    /** One payload per context: element text, a double- and a single-quoted attribute, SVG, a URL. */
    private static final String PAYLOAD = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>' onmouseover='alert(3)"
            + "</text><svg onload=alert(4)>javascript:alert(5)";
    /** What a page would carry if a payload were not escaped. */
    private static final List<String> MARKUP = List.of("<script>alert", "<img src=x", "onmouseover='alert", "<svg onload", "href=\"javascript:",
            "src=\"javascript:");

    @Test
    void everyPageThatShowsStoredTextEscapesIt() throws Exception {
        RetryPolicy once = new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO, 0, List.of());
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = ApiCalls.start(cluster)) {
            cluster.startExecutor(Map.of("hostile", ctx -> {
                throw new NonRetryableException(PAYLOAD);
            }, "echo", ctx -> PAYLOAD));
            UUID job = cluster.client().submit(JobRequests.builder("hostile").params(Map.of("note", PAYLOAD)).items(List.of(1L), "fail").retry(once)
                    .build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, Duration.ofSeconds(60)).type());
            UUID echoed = cluster.client().submit(JobRequests.builder("echo").params(Map.of("note", PAYLOAD)).build());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(echoed, Duration.ofSeconds(60)).type());
            WorkflowDefinition flow = Workflows.define("hostile-" + UUID.randomUUID())
                    .node("only", JobRequests.builder("hostile").items(List.of(1L), "fail").retry(once).build()).build();
            UUID run = cluster.client().run(Workflows.run(flow, null));
            cluster.client().await(run, Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                String heartbeat = "{\"id\":" + json(PAYLOAD) + ",\"pool\":\"default\",\"host\":" + json(PAYLOAD) + ",\"version\":" + json(PAYLOAD)
                        + ",\"processors\":[" + json(PAYLOAD) + "],\"time\":\"2026-01-01T00:00:00Z\",\"heartbeatIntervalMs\":1000}";
                producer.send(new ProducerRecord<>(cluster.topics.executors(), "forged".getBytes(), heartbeat.getBytes())).get();
            }
            Sql.execute(cluster.db(), "INSERT INTO fanout_audit (actor, action, target, outcome, remote, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD);
            long letter = await().atMost(Duration.ofSeconds(30)).until(
                    () -> Sql.count(cluster.db(), "SELECT coalesce(min(id), 0) FROM fanout_dead_letter WHERE job_id = ?", job), id -> id > 0);

            ApiCalls api = new ApiCalls(server);
            String session = api.signIn(new ApiTokens(cluster.db()).create("viewer", Scope.ADMIN, null, "test").secret());
            List<String> problems = new ArrayList<>();
            for (String page : List.of("/console", "/console/jobs", "/console/jobs/" + job, "/console/jobs/" + echoed, "/console/dead-letters", "/console/dead-letters/" + letter,
                    "/console/workflow-runs", "/console/workflow-runs/" + run, "/console/executors", "/console/audit", "/console/schedules")) {
                ApiCalls.Reply r = api.call("GET", page, null, null, session);
                assertEquals(200, r.status(), page);
                for (String markup : MARKUP) {
                    if (r.raw().body().contains(markup)) {
                        problems.add(page + " carries " + markup);
                    }
                }
            }
            assertEquals(List.of(), problems);
            String letterPage = api.call("GET", "/console/dead-letters/" + letter, null, null, session).raw().body();
            assertFalse(!letterPage.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the text is shown, escaped: " + letterPage);
        }
    }

    private static String json(String s) {
        return io.fanout.shared.json.Json.toText(s);
    }
}
