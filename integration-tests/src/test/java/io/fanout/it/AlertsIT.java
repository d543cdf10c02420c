package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.fanout.coordinator.AlertPolicy;
import io.fanout.coordinator.SweeperPolicy;
import io.fanout.executor.api.Processor;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import io.fanout.shared.model.RetryPolicy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Alerts reach a real HTTP receiver: signed, retried until taken, per job where the job says so, for every kind of condition. */
class AlertsIT {

    private static final String SECRET = "alert-secret";
    private static final RetryPolicy ONCE = new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO, 0, List.of());

    /** One POST the receiver took. */
    record Delivery(String path, String event, String deliveryId, String signature, String body) {
        JsonNode json() {
            return Json.readTree(body);
        }
    }

    private HttpServer receiver;
    private final List<Delivery> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger flakyRefusals = new AtomicInteger(2);

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            boolean refuse = path.equals("/flaky") && flakyRefusals.getAndDecrement() > 0;
            received.add(new Delivery(path, exchange.getRequestHeaders().getFirst("X-Fanout-Event"),
                    exchange.getRequestHeaders().getFirst("X-Fanout-Delivery"), exchange.getRequestHeaders().getFirst("X-Fanout-Signature"), body));
            exchange.sendResponseHeaders(refuse ? 500 : 204, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + path);
    }

    private List<Delivery> to(String path, String event) {
        return received.stream().filter(d -> d.path().equals(path) && event.equals(d.event())).toList();
    }

    private static AlertPolicy alerts(List<URI> webhooks) {
        return new AlertPolicy(webhooks, Set.of(), SECRET, Duration.ofSeconds(1), Duration.ofMillis(200), 5, Duration.ofSeconds(15));
    }

    @Test
    void failuresAreAnnouncedSignedRetriedUntilTakenAndSentWhereTheJobSays() throws Exception {
        Processor failing = ctx -> {
            throw new IllegalStateException("boom");
        };
        CountDownLatch never = new CountDownLatch(1);
        Processor stuck = ctx -> {
            never.await();
            return null;
        };
        // the sweeper parks every letter at once (no replays allowed)
        SweeperPolicy parkAll = new SweeperPolicy(Duration.ofMillis(200), 0, Duration.ZERO, List.of(), Duration.ofSeconds(15), true);
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.sweeper(parkAll).alerts(alerts(List.of(url("/flaky")))))) {
            cluster.startExecutor(Map.of("failing", failing, "stuck", stuck));
            UUID failed = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail").retry(ONCE).build());
            UUID late = cluster.client().submit(JobRequests.builder("stuck").items(List.of(1L), "wait").deadline(Duration.ofSeconds(1)).build());
            UUID ownReceiver = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail").retry(ONCE)
                    .alertWebhooks(List.of(url("/own"))).build());
            UUID silenced = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail").retry(ONCE)
                    .alertWebhooks(List.of()).build());
            WorkflowDefinition flow = Workflows.define("alerting-" + UUID.randomUUID())
                    .node("only", JobRequests.builder("failing").items(List.of(1L), "fail").retry(ONCE).build()).build();
            UUID run = cluster.client().run(Workflows.run(flow, null));
            for (UUID job : List.of(failed, late, ownReceiver, silenced)) {
                assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, Duration.ofSeconds(60)).type());
            }
            assertEquals(JobState.FAILED, cluster.client().await(run, Duration.ofSeconds(60)).state());

            // the receiver refused the first two POSTs: the alert came again, with the same delivery id, until taken
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_alert WHERE delivered_at IS NULL AND gave_up_at IS NULL") == 0
                    && to("/own", "job.failed").size() == 1 && to("/flaky", "job.deadline_exceeded").size() >= 1);
            List<Delivery> forFailed = received.stream().filter(d -> d.path().equals("/flaky") && d.body().contains(failed.toString())
                    && "job.failed".equals(d.event())).toList();
            assertTrue(forFailed.size() >= 1);
            assertEquals(1, forFailed.stream().map(Delivery::deliveryId).distinct().count(), "every attempt of one alert has its delivery id");
            Map<String, List<Delivery>> byId = received.stream().filter(d -> d.path().equals("/flaky"))
                    .collect(java.util.stream.Collectors.groupingBy(Delivery::deliveryId));
            assertTrue(byId.values().stream().anyMatch(l -> l.size() >= 2), "a refused alert came again");
            assertTrue(byId.values().stream().allMatch(l -> l.stream().map(Delivery::body).distinct().count() == 1), "each time the same alert");
            assertEquals(2, Sql.count(cluster.db(), "SELECT coalesce(sum(attempts - 1), 0) FROM fanout_alert WHERE url = ? AND delivered_at IS NOT NULL",
                    url("/flaky").toString()), "each refusal cost an attempt, and the alert was delivered after it");

            Delivery alert = forFailed.get(forFailed.size() - 1);
            JsonNode job = alert.json().get("job");
            assertEquals(failed.toString(), job.get("id").asText());
            assertEquals("failing", job.get("processor").asText());
            assertTrue(alert.json().get("summary").asText().contains("boom"), alert.body());
            assertSigned(alert);

            JsonNode deadline = to("/flaky", "job.deadline_exceeded").get(0).json();
            assertEquals(late.toString(), deadline.get("job").get("id").asText());
            assertEquals(ownReceiver.toString(), to("/own", "job.failed").get(0).json().get("job").get("id").asText());
            assertTrue(received.stream().noneMatch(d -> d.body().contains(silenced.toString())), "a job with no receivers raises no alert");
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_alert WHERE payload LIKE ?", "%" + silenced + "%"));

            // a job may not name a receiver on a host the installation does not allow
            UUID elsewhere = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail")
                    .alertWebhooks(List.of(URI.create("http://169.254.169.254/latest"))).build());
            JobEvent refused = cluster.client().await(elsewhere, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.REJECTED, refused.type());
            assertTrue(refused.reason().contains("alert webhook http://169.254.169.254:80 is not allowed here (allowed: " + url("") + ")"), refused.reason());
            assertTrue(received.stream().noneMatch(d -> d.path().equals("/flaky") && d.body().contains("\"id\":\"" + ownReceiver)),
                    "a job's own receivers replace the installation's");

            await().atMost(Duration.ofSeconds(30)).until(() -> to("/flaky", "workflow.run_failed").stream()
                    .anyMatch(d -> run.toString().equals(d.json().get("run").get("id").asText())));
            JsonNode runAlert = to("/flaky", "workflow.run_failed").get(0).json().get("run");
            assertEquals(flow.name(), runAlert.get("workflow").asText());
            assertEquals("FAILED", runAlert.get("state").asText());

            // the sweeper parked the failed jobs' letters: one alert per job and receiver
            await().atMost(Duration.ofSeconds(30)).until(() -> to("/flaky", "dead_letters.parked").stream()
                    .anyMatch(d -> failed.toString().equals(d.json().get("jobId").asText())));
            Delivery parked = to("/flaky", "dead_letters.parked").stream().filter(d -> failed.toString().equals(d.json().get("jobId").asText()))
                    .findFirst().orElseThrow();
            assertEquals(1, parked.json().get("parked").asLong());
            assertSigned(parked);
        }
    }

    @Test
    void aPoolWithTasksWaitingAndNoLiveExecutorRaisesOneAlert() throws Exception {
        AlertPolicy policy = alerts(List.of(url("/pools")));
        try (FanoutCluster cluster = new FanoutCluster(2, Set.of(), Map.of("lonely", 2), b -> b.alerts(policy))) {
            cluster.client().submit(JobRequests.builder("anything").pool("lonely").items(List.of(1L, 2L, 3L), "wait").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> !to("/pools", "pool.stalled").isEmpty());
            JsonNode alert = to("/pools", "pool.stalled").get(0).json();
            assertEquals("lonely", alert.get("pool").asText());
            assertEquals(3, alert.get("lag").asLong());
            assertSigned(to("/pools", "pool.stalled").get(0));
            // the pool stays stalled for many more rounds: still one alert for the whole episode
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> to("/pools", "pool.stalled").size() == 1
                    && Sql.count(cluster.db(), "SELECT count(*) FROM fanout_alert WHERE kind = 'pool.stalled'") == 1);
        }
    }

    /** The receiver's check: the HMAC of "t.body" under the shared secret. */
    private static void assertSigned(Delivery d) throws Exception {
        String[] parts = d.signature().split(",");
        String t = parts[0].substring("t=".length());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = HexFormat.of().formatHex(mac.doFinal((t + "." + d.body()).getBytes(StandardCharsets.UTF_8)));
        assertEquals("v1=" + expected, parts[1], "signature of " + d.body());
    }
}
