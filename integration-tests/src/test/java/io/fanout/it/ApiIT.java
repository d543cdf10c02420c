package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Route;
import io.fanout.console.Scope;
import io.fanout.shared.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The REST API on a real broker and PostgreSQL: closed to strangers, every route behind its scope, actions audited. */
class ApiIT {

    private final HttpClient http = HttpClient.newHttpClient();

    /** The tokens each route's scope must refuse, written out rather than derived from the scope's own rule. */
    private static final Map<Scope, java.util.List<Scope>> TOO_SMALL = Map.of(Scope.READ, java.util.List.of(), Scope.OPERATE, java.util.List.of(Scope.READ),
            Scope.ADMIN, java.util.List.of(Scope.READ, Scope.OPERATE));

    private record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    }

    private Reply call(ApiServer server, String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().isEmpty() ? null : Json.readTree(r.body()), r);
    }

    private static ApiServer server(FanoutCluster cluster) {
        return ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics));
    }

    /** Walks every route the server registers: none answers without a valid token, nor to a token of too small a scope. */
    @Test
    void everyRouteRefusesAStrangerAndATokenOfTooSmallAScope() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            ApiTokens tokens = new ApiTokens(cluster.db());
            Map<Scope, String> byScope = Map.of(Scope.READ, tokens.create("reader", Scope.READ, null, "test").secret(),
                    Scope.OPERATE, tokens.create("operator", Scope.OPERATE, null, "test").secret());
            String expired = tokens.create("expired", Scope.ADMIN, Duration.ofMillis(1), "test").secret();
            ApiTokens.Created revokedToken = tokens.create("revoked", Scope.ADMIN, null, "test");
            tokens.revoke(revokedToken.id());
            String path = null;
            int refusals = 0;
            for (Route r : server.routes()) {
                path = r.path().replace("{id}", UUID.randomUUID().toString());
                for (String bad : new String[] {null, "fo_not-a-token", expired, revokedToken.secret(), "Basic abc"}) {
                    Reply reply = call(server, r.method(), path, bad, r.method().equals("POST") ? "{}" : null);
                    assertEquals(401, reply.status(), r.method() + " " + r.path() + " with " + bad);
                    assertEquals("unauthenticated", reply.body().get("code").asText());
                }
                for (Scope small : TOO_SMALL.get(r.scope())) {
                    Reply reply = call(server, r.method(), path, byScope.get(small), r.method().equals("POST") ? "{}" : null);
                    assertEquals(403, reply.status(), r.method() + " " + r.path() + " with a " + small.label() + " token");
                    refusals++;
                }
            }
            assertEquals(server.routes().stream().mapToInt(r -> TOO_SMALL.get(r.scope()).size()).sum(), refusals);
            assertTrue(server.routes().stream().anyMatch(r -> r.scope() == Scope.ADMIN) && server.routes().stream().anyMatch(r -> r.scope() == Scope.OPERATE));
            Reply unknown = call(server, "GET", "/api/v1/nothing-here", byScope.get(Scope.READ), null);
            assertEquals(404, unknown.status());
            assertFalse(path == null);
        }
    }

    @Test
    void aJobSubmittedThroughTheApiIsShownWithItsTasksAndEveryActionIsAudited() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            cluster.startExecutor(Map.of("square", ctx -> {
                long x = ctx.params(JsonNode.class).get("x").asLong();
                return x * x;
            }, "blocks", ctx -> {
                release.await();
                return null;
            }));
            ApiTokens tokens = new ApiTokens(cluster.db());
            String operate = tokens.create("ops-script", Scope.OPERATE, null, "test").secret();
            String admin = tokens.create("admin", Scope.ADMIN, null, "test").secret();

            Reply submitted = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": \"square\", \"params\": {\"x\": 12}}");
            assertEquals(202, submitted.status(), String.valueOf(submitted.body()));
            String job = submitted.body().get("jobId").asText();
            await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(call(server, "GET", "/api/v1/jobs/" + job, operate, null).body().get("state").asText()));
            Reply shown = call(server, "GET", "/api/v1/jobs/" + job, operate, null);
            assertEquals(144, shown.body().get("result").asLong());
            assertEquals(1, shown.body().get("succeeded").asLong());
            assertEquals("nosniff", shown.raw().headers().firstValue("X-Content-Type-Options").orElse(""));
            assertEquals("DENY", shown.raw().headers().firstValue("X-Frame-Options").orElse(""));
            Reply tasks = call(server, "GET", "/api/v1/jobs/" + job + "/tasks?state=SUCCEEDED", operate, null);
            assertEquals(1, tasks.body().size());
            Reply listed = call(server, "GET", "/api/v1/jobs?processor=square", operate, null);
            assertEquals(job, listed.body().get(0).get("id").asText());

            Reply blocking = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": \"blocks\"}");
            String blocked = blocking.body().get("jobId").asText();
            await().atMost(Duration.ofMinutes(1)).until(() -> "RUNNING".equals(call(server, "GET", "/api/v1/jobs/" + blocked, operate, null).body().get("state").asText()));
            assertEquals(200, call(server, "POST", "/api/v1/jobs/" + blocked + "/cancel", operate, null).status());
            Reply again = call(server, "POST", "/api/v1/jobs/" + blocked + "/cancel", operate, null);
            assertEquals(409, again.status(), "a cancelled job cannot be cancelled again");
            assertEquals("conflict", again.body().get("code").asText());
            release.countDown();

            Reply audit = call(server, "GET", "/api/v1/audit", admin, null);
            assertEquals(200, audit.status());
            JsonNode latest = audit.body().get(0);
            assertEquals("ops-script", latest.get("actor").asText());
            assertEquals("job.cancel", latest.get("action").asText());
            assertEquals(blocked, latest.get("target").asText());
            assertEquals("refused", latest.get("outcome").asText());
            assertEquals("127.0.0.1", latest.get("remote").asText());
            assertEquals(4, audit.body().size(), "two submits, two cancels");

            Reply openApi = call(server, "GET", "/api/v1/openapi.json", operate, null);
            assertEquals("3.1.0", openApi.body().get("openapi").asText());
            assertEquals("operate", openApi.body().get("paths").get("/api/v1/jobs/{id}/cancel").get("post").get("x-fanout-scope").asText());
        }
    }

    @Test
    void badInputIsA400NamingTheFieldAndUnknownIdsA404() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            String operate = new ApiTokens(cluster.db()).create("ops", Scope.OPERATE, null, "test").secret();
            Reply badProcessor = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": 7}");
            assertEquals(400, badProcessor.status());
            assertEquals("processor", badProcessor.body().get("field").asText());
            Reply notJson = call(server, "POST", "/api/v1/jobs", operate, "{nope");
            assertEquals(400, notJson.status());
            Reply badId = call(server, "GET", "/api/v1/jobs/not-an-id", operate, null);
            assertEquals(400, badId.status());
            assertEquals("id", badId.body().get("field").asText());
            Reply badState = call(server, "GET", "/api/v1/jobs?state=SLEEPING", operate, null);
            assertEquals("state", badState.body().get("field").asText());
            Reply badLimit = call(server, "GET", "/api/v1/jobs?limit=100000", operate, null);
            assertEquals("limit", badLimit.body().get("field").asText());
            Reply badSince = call(server, "GET", "/api/v1/jobs?since=yesterday", operate, null);
            assertEquals("since", badSince.body().get("field").asText());
            assertEquals(404, call(server, "GET", "/api/v1/jobs/" + UUID.randomUUID(), operate, null).status());
            assertEquals(404, call(server, "GET", "/api/v1/workflow-runs/" + UUID.randomUUID(), operate, null).status());
            assertEquals(404, call(server, "POST", "/api/v1/jobs/" + UUID.randomUUID() + "/cancel", operate, null).status());
            Reply badRun = call(server, "POST", "/api/v1/workflow-runs", operate, "{\"workflow\": {\"name\": \"w\", \"nodes\": []}}");
            assertEquals(400, badRun.status());
            assertTrue(badRun.body().get("message").asText().contains("non-empty array"), badRun.body().toString());
        }
    }
}
