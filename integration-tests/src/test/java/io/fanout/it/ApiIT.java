package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
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
import java.util.List;
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
        return call(server, method, path, token, body, null);
    }

    private Reply call(ApiServer server, String method, String path, String token, String body, String session) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (session != null) {
            b.header("Cookie", "fanout_session=" + session);
        }
        if (body != null && body.startsWith("csrf=")) {
            b.header("Content-Type", "application/x-www-form-urlencoded");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        boolean json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        return new Reply(r.statusCode(), json && !r.body().isEmpty() ? Json.readTree(r.body()) : null, r);
    }

    /** Signs in to the console with a token; returns the session cookie's value. */
    private String signIn(ApiServer server, String token) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/console/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), cookie);
        return cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    }

    private static String csrfOf(String html) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertTrue(m.find(), "a page carries its CSRF token");
        return m.group(1);
    }

    private static ApiServer server(FanoutCluster cluster) {
        // the route walk presents many tokens that are not valid, from one address: more than the sign-in limit allows
        return ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup()).withLimits(new ApiServer.Limits(10_000, 4, 32)));
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
            Map<Scope, String[]> sessions = new java.util.HashMap<>(); // console sessions of each small scope: cookie, CSRF token
            for (Scope small : List.of(Scope.READ, Scope.OPERATE)) {
                String cookie = signIn(server, byScope.get(small));
                sessions.put(small, new String[] {cookie, csrfOf(call(server, "GET", "/console", null, null, cookie).raw().body())});
            }
            for (Route r : server.routes()) {
                path = r.path().replace("{id}", UUID.randomUUID().toString()).replace("{name}", "some-schedule");
                if (r.isOpen()) {
                    continue;
                }
                if (r.path().startsWith("/console")) {
                    for (String bad : new String[] {null, byScope.get(Scope.OPERATE)}) { // a bearer token is no console session
                        Reply reply = call(server, r.httpMethod(), path, bad, r.method().equals("POST") ? "csrf=x" : null);
                        if (r.httpMethod().equals("GET")) {
                            assertEquals(302, reply.status(), r.method() + " " + r.path() + " without a session");
                            assertEquals("/console/login", reply.raw().headers().firstValue("Location").orElse(""));
                        } else {
                            assertEquals(401, reply.status(), r.method() + " " + r.path() + " without a session");
                        }
                    }
                    for (Scope small : TOO_SMALL.get(r.scope())) {
                        String[] session = sessions.get(small);
                        Reply reply = call(server, r.httpMethod(), path, null, r.httpMethod().equals("GET") ? null : "csrf=" + session[1], session[0]);
                        assertEquals(403, reply.status(), r.method() + " " + r.path() + " signed in with a " + small.label() + " token");
                        assertEquals("forbidden", reply.body().get("code").asText());
                        refusals++;
                    }
                    continue;
                }
                for (String bad : new String[] {null, "fo_not-a-token", expired, revokedToken.secret(), "Basic abc"}) {
                    Reply reply = call(server, r.httpMethod(), path, bad, r.method().equals("POST") ? "{}" : null);
                    assertEquals(401, reply.status(), r.method() + " " + r.path() + " with " + bad);
                    assertEquals("unauthenticated", reply.body().get("code").asText());
                }
                for (Scope small : TOO_SMALL.get(r.scope())) {
                    Reply reply = call(server, r.httpMethod(), path, byScope.get(small), r.method().equals("POST") ? "{}" : null);
                    assertEquals(403, reply.status(), r.method() + " " + r.path() + " with a " + small.label() + " token");
                    refusals++;
                }
            }
            assertEquals(server.routes().stream().filter(r -> !r.isOpen()).mapToInt(r -> TOO_SMALL.get(r.scope()).size()).sum(), refusals);
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

    /**
     * An action whose coordinator does not answer in time is a 504 {@code pending}, audited as
     * pending, never a false "done": the command waits on the jobs topic, and the coordinator that
     * owns the job carries it out when it reads it.
     */
    @Test
    void anActionNoCoordinatorAnswersIsPendingAndCarriedOutWhenOneIsBack() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FanoutCluster cluster = new FanoutCluster();
             ApiServer server = ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                     Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup())
                     .withLimits(new ApiServer.Limits(10_000, 4, 32, Duration.ofSeconds(2))))) {
            cluster.startExecutor(Map.of("blocks", ctx -> {
                release.await();
                return null;
            }));
            ApiTokens tokens = new ApiTokens(cluster.db());
            String admin = tokens.create("admin", Scope.ADMIN, null, "test").secret();
            String job = call(server, "POST", "/api/v1/jobs", admin, "{\"processor\": \"blocks\"}").body().get("jobId").asText();
            await().atMost(Duration.ofMinutes(1)).until(() -> "RUNNING".equals(call(server, "GET", "/api/v1/jobs/" + job, admin, null).body().get("state").asText()));

            cluster.coordinator().close(); // no coordinator reads the jobs topic now
            Reply pending = call(server, "POST", "/api/v1/jobs/" + job + "/cancel", admin, null);
            assertEquals(504, pending.status(), String.valueOf(pending.body()));
            assertEquals("pending", pending.body().get("code").asText());
            assertThat(pending.body().get("message").asText()).contains("is pending");
            JsonNode audited = call(server, "GET", "/api/v1/audit", admin, null).body().get(0);
            assertEquals("job.cancel", audited.get("action").asText());
            assertEquals("pending", audited.get("outcome").asText());
            assertEquals("RUNNING", call(server, "GET", "/api/v1/jobs/" + job, admin, null).body().get("state").asText(), "not done: pending");

            cluster.restartCoordinator();
            await().atMost(Duration.ofMinutes(1)).until(() -> "CANCELLED".equals(call(server, "GET", "/api/v1/jobs/" + job, admin, null).body().get("state").asText()));
            release.countDown();
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
            UUID nobody = UUID.randomUUID();
            Map<String, String> badInput = new java.util.LinkedHashMap<>(); // request -> the field its 400 names
            badInput.put("GET /api/v1/jobs/nope/tasks", "id");
            badInput.put("GET /api/v1/jobs/" + nobody + "/tasks?state=LOST", "state");
            badInput.put("GET /api/v1/workflow-runs/nope", "id");
            badInput.put("GET /api/v1/workflow-runs?since=soon", "since");
            badInput.put("GET /api/v1/dead-letters/abc", "id");
            badInput.put("GET /api/v1/dead-letters?job=nope", "job");
            badInput.put("GET /api/v1/dead-letters?state=GONE", "state");
            badInput.put("POST /api/v1/dead-letters/replay", "errorClass");
            badInput.put("POST /api/v1/jobs/retry?dryRun=maybe", "dryRun");
            badInput.put("POST /api/v1/jobs/" + nobody + "/retry?dryRun=maybe", "dryRun");
            for (Map.Entry<String, String> e : badInput.entrySet()) {
                String[] request = e.getKey().split(" ");
                Reply r = call(server, request[0], request[1], operate, request[0].equals("POST") ? "{\"jobs\": [\"" + nobody + "\"]}" : null);
                assertEquals(400, r.status(), e.getKey() + ": " + r.body());
                assertEquals(e.getValue(), r.body().path("field").asText(), e.getKey());
            }
            for (String unknown : List.of("GET /api/v1/jobs/" + nobody + "/tasks", "POST /api/v1/jobs/" + nobody + "/suspend", "POST /api/v1/jobs/" + nobody
                    + "/resume", "POST /api/v1/jobs/" + nobody + "/retry", "POST /api/v1/workflow-runs/" + nobody + "/cancel", "POST /api/v1/workflow-runs/"
                    + nobody + "/retry", "GET /api/v1/dead-letters/999999", "POST /api/v1/dead-letters/999999/replay", "POST /api/v1/dead-letters/999999/park",
                    "POST /api/v1/schedules/nope/trigger", "DELETE /api/v1/schedules/nope")) {
                String[] request = unknown.split(" ");
                Reply r = call(server, request[0], request[1], operate, null);
                assertEquals(404, r.status(), unknown + ": " + r.body());
                assertEquals("not_found", r.body().get("code").asText(), unknown);
            }
            assertEquals(400, call(server, "POST", "/api/v1/schedules", operate, "[1, 2]").status());
            Reply badRun = call(server, "POST", "/api/v1/workflow-runs", operate, "{\"workflow\": {\"name\": \"w\", \"nodes\": []}}");
            assertEquals(400, badRun.status());
            assertTrue(badRun.body().get("message").asText().contains("non-empty array"), badRun.body().toString());
        }
    }

    /** The most asked-for action: failed jobs retried in bulk, after a dry run that shows what would be replayed. */
    @Test
    void failedJobsAreRetriedInBulkAndTheirDeadLettersShown() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            cluster.startExecutor(Map.of("fragile", ctx -> {
                if (broken.get()) {
                    throw new io.fanout.executor.api.NonRetryableException("the source is down");
                }
                return "ok";
            }));
            String operate = new ApiTokens(cluster.db()).create("ops", Scope.OPERATE, null, "test").secret();
            String first = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": \"fragile\"}").body().get("jobId").asText();
            String second = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": \"fragile\"}").body().get("jobId").asText();
            for (String job : new String[] {first, second}) {
                await().atMost(Duration.ofMinutes(1)).until(() -> "FAILED".equals(call(server, "GET", "/api/v1/jobs/" + job, operate, null).body()
                        .get("state").asText()));
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> call(server, "GET", "/api/v1/dead-letters?job=" + first, operate, null).body().size() == 1);
            JsonNode letter = call(server, "GET", "/api/v1/dead-letters?job=" + first, operate, null).body().get(0);
            JsonNode shown = call(server, "GET", "/api/v1/dead-letters/" + letter.get("id").asLong(), operate, null).body();
            assertTrue(shown.get("letter").get("stackTrace").asText().contains("the source is down"), shown.toString());

            String body = "{\"jobs\": [\"" + first + "\", \"" + second + "\"]}";
            Reply dryRun = call(server, "POST", "/api/v1/jobs/retry?dryRun=true", operate, body);
            assertEquals(200, dryRun.status(), String.valueOf(dryRun.body()));
            assertEquals(1, dryRun.body().get(0).get("wouldReplay").asLong());
            assertEquals("FAILED", call(server, "GET", "/api/v1/jobs/" + first, operate, null).body().get("state").asText(), "a dry run changes nothing");

            broken.set(false);
            Reply retried = call(server, "POST", "/api/v1/jobs/retry", operate, body);
            assertEquals(1, retried.body().get(1).get("replayed").asLong());
            for (String job : new String[] {first, second}) {
                await().atMost(Duration.ofMinutes(1)).until(() -> "SUCCEEDED".equals(call(server, "GET", "/api/v1/jobs/" + job, operate, null).body()
                        .get("state").asText()));
            }
            assertEquals(400, call(server, "POST", "/api/v1/jobs/retry", operate, "{\"jobs\": []}").status());
        }
    }

    @Test
    void aJobsProgressStreamsUntilItEndsAndTheInstallationIsShown() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            cluster.startExecutor(Map.of("noop", new io.fanout.examples.NoOp()));
            String operate = new ApiTokens(cluster.db()).create("ops", Scope.OPERATE, null, "test").secret();
            String job = call(server, "POST", "/api/v1/jobs", operate, "{\"processor\": \"noop\", \"params\": {\"tasks\": 2000}}").body().get("jobId")
                    .asText();
            HttpResponse<java.util.stream.Stream<String>> stream = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/api/v1/jobs/" + job + "/progress")).header("Authorization", "Bearer " + operate).header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, stream.statusCode());
            java.util.List<String> lines = stream.body().toList();
            java.util.List<JsonNode> events = lines.stream().filter(l -> l.startsWith("data:")).map(l -> Json.readTree(l.substring(5).trim())).toList();
            assertFalse(events.isEmpty(), "the stream: " + lines);
            assertEquals("SUCCEEDED", events.get(events.size() - 1).path("state").asText(), "the stream ends with the job's end: " + lines);
            assertEquals(2001, events.get(events.size() - 1).get("succeeded").asLong());

            JsonNode executors = call(server, "GET", "/api/v1/executors", operate, null).body();
            assertEquals(1, executors.get("pools").get(0).get("members").size());
            assertEquals(1, executors.get("live").size());

            Reply added = call(server, "POST", "/api/v1/schedules", operate,
                    "{\"name\": \"nightly\", \"cron\": \"0 2 * * *\", \"request\": {\"processor\": \"noop\"}}");
            assertEquals(200, added.status(), String.valueOf(added.body()));
            assertEquals("nightly", call(server, "GET", "/api/v1/schedules", operate, null).body().get(0).get("name").asText());
            Reply badCron = call(server, "POST", "/api/v1/schedules", operate, "{\"name\": \"bad\", \"cron\": \"often\", \"request\": {\"processor\": \"noop\"}}");
            assertEquals(400, badCron.status());
            assertEquals(200, call(server, "POST", "/api/v1/schedules/nightly/trigger", operate, null).status());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT fired FROM fanout_schedule WHERE name = 'nightly'") == 1);
            assertEquals(404, call(server, "POST", "/api/v1/schedules/nope/trigger", operate, null).status());
            assertEquals(200, call(server, "DELETE", "/api/v1/schedules/nightly", operate, null).status());
            assertEquals(404, call(server, "DELETE", "/api/v1/schedules/nightly", operate, null).status());
        }
    }

    /** The first admin token can be one the operator chose (FANOUT_ADMIN_TOKEN): stored once, by its hash, and it opens admin routes. */
    @Test
    void aChosenAdminTokenIsStoredOnceAndOpensTheAdminRoutes() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = server(cluster)) {
            ApiTokens tokens = new ApiTokens(cluster.db());
            String chosen = "fo_" + "k".repeat(40);
            assertTrue(tokens.ensure(chosen, "admin (FANOUT_ADMIN_TOKEN)", Scope.ADMIN, "environment"));
            assertFalse(tokens.ensure(chosen, "admin (FANOUT_ADMIN_TOKEN)", Scope.ADMIN, "environment"), "known already");
            assertEquals(200, call(server, "GET", "/api/v1/tokens", chosen, null).status());
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_api_token"));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_api_token WHERE token_hash LIKE '%kkkk%'"), "only the hash is kept");
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> tokens.ensure("short", "x", Scope.ADMIN, "environment"));
        }
    }

    /** With a key store, the server speaks HTTPS only, and the console's cookie is marked Secure. */
    @Test
    void withAKeyStoreTheServerSpeaksHttpsOnly() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fanout-tls");
        java.nio.file.Path store = dir.resolve("console.p12");
        String keytool = java.nio.file.Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "console", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost").redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(store)) {
            trusted.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        HttpClient https = HttpClient.newBuilder().sslContext(tls).build();
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl,
                SharedInfrastructure.dbUser(), null, Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup(),
                new ApiServer.Tls(store, "changeit")))) {
            String token = new ApiTokens(cluster.db()).create("tls", Scope.READ, null, "test").secret();
            HttpResponse<String> ok = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/api/v1/jobs"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            HttpResponse<String> signIn = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/console/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("token=" + token)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(signIn.headers().firstValue("Set-Cookie").orElse("").contains("; Secure"), signIn.headers().map().toString());
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/api/v1/jobs")).build(), HttpResponse.BodyHandlers.ofString()),
                    "plain HTTP is not spoken");
        }
    }

    /** The console's throughput counts every task that finished between two looks, from the jobs' counters, exactly once. */
    @Test
    void throughputCountsEachFinishedTaskOnce() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("noop", new io.fanout.examples.NoOp()));
            io.fanout.query.Throughput throughput = new io.fanout.query.Throughput(cluster.db(), java.time.Clock.systemUTC());
            UUID before = cluster.client().submit(io.fanout.shared.model.JobRequests.builder("noop").params(new io.fanout.examples.NoOp.Params(50)).build());
            cluster.client().await(before, Duration.ofMinutes(1));
            assertEquals(null, throughput.look(Duration.ZERO), "the first look takes its bearings");
            for (int n : new int[] {300, 200}) {
                UUID job = cluster.client().submit(io.fanout.shared.model.JobRequests.builder("noop").params(new io.fanout.examples.NoOp.Params(n)).build());
                cluster.client().await(job, Duration.ofMinutes(1));
            }
            assertEquals(300 + 1 + 200 + 1, throughput.look(Duration.ZERO).tasks(), "the two jobs since the first look, not the one before");
            assertEquals(0, throughput.look(Duration.ZERO).tasks(), "nothing finished since");
        }
    }
}
