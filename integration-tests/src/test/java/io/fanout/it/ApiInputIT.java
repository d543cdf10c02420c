package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.DeadLetters;
import io.fanout.console.Scope;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 22: the requests that answered 500 with a Java exception's text (instants out of range, NUL
 * bytes, bad ids in console forms), the 413 that was text/plain, and the bulk actions without bounds
 * (M2). Each now answers 4xx with a JSON error naming the field, or stays within its bound.
 */
class ApiInputIT {

    private static FanoutCluster cluster;
    private static ApiServer server;
    private static ApiCalls api;
    private static String operator;

    @BeforeAll
    static void start() throws Exception {
        cluster = new FanoutCluster();
        server = ApiCalls.start(cluster);
        api = new ApiCalls(server);
        operator = new ApiTokens(cluster.db()).create("operator", Scope.OPERATE, null, "test").secret();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        cluster.close();
    }

    private static void assertBadRequest(ApiCalls.Reply r, String field, String what) {
        assertEquals(400, r.status(), what + ": " + r.raw().body());
        assertEquals(field, r.field(), what + ": " + r.raw().body());
        assertFalse(r.raw().body().contains("Exception"), what + " leaks an exception: " + r.raw().body());
    }

    @Test
    void instantsFarInThePastOrFutureAreA400NamingTheParameter() throws Exception {
        for (String path : new String[] {"/api/v1/jobs", "/api/v1/workflow-runs", "/api/v1/dead-letters"}) {
            for (String t : new String[] {"-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "-290000000-01-01T00:00:00Z"}) {
                assertBadRequest(api.get(path + "?since=" + t, operator), "since", path + " since " + t);
            }
        }
        assertBadRequest(api.get("/api/v1/jobs?before=-999999999-01-01T00:00:00Z", operator), "before", "before far in the past");
        assertEquals(200, api.get("/api/v1/jobs?since=0001-01-01T00:00:00Z&before=9999-12-31T00:00:00Z", operator).status());
    }

    @Test
    void aNulByteOrBrokenEncodingInAnyParameterIsA400NamingIt() throws Exception {
        assertBadRequest(api.get("/api/v1/jobs?key=%00", operator), "key", "key=%00");
        assertBadRequest(api.get("/api/v1/jobs?processor=a%00b", operator), "processor", "processor with NUL");
        assertBadRequest(api.get("/api/v1/dead-letters?errorClass=%00", operator), "errorClass", "errorClass=%00");
        assertBadRequest(api.get("/api/v1/jobs?key=" + "k".repeat(3000), operator), "key", "an over-long value");
    }

    @Test
    void aBadScheduleIsA400NamingItsFieldAndAMultipartFormIsCheckedToo() throws Exception {
        ApiCalls.Reply r = api.call("POST", "/api/v1/schedules", operator, "{\"name\": \"a\\u0000b\", \"cron\": \"0 2 * * *\", \"request\": {}}",
                null, "Content-Type", "application/json");
        assertBadRequest(r, "name", "a schedule name with a NUL");
        assertBadRequest(api.call("POST", "/api/v1/schedules", operator, "{\"name\": \"ok\", \"cron\": \"often\", \"request\": {\"processor\": \"p\"}}", null,
                "Content-Type", "application/json"), "cron", "a cron that is not one");
        String session = api.signIn(operator);
        String csrf = api.csrf(session);
        String boundary = "b0undary";
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf + "\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"errorClass\"\r\n\r\na\u0000b\r\n--" + boundary + "--\r\n";
        assertBadRequest(api.call("POST", "/console/dead-letters/replay", null, multipart, session, "Content-Type",
                "multipart/form-data; boundary=" + boundary), "errorClass", "a NUL in a multipart form field");
    }

    @Test
    void theConsolesBulkRetryAnswersABadIdOrTooManyWithA400() throws Exception {
        String session = api.signIn(operator);
        String csrf = api.csrf(session);
        assertBadRequest(api.call("POST", "/console/jobs/retry", null, "csrf=" + csrf + "&job=garbage", session), "job", "job=garbage");
        assertBadRequest(api.call("POST", "/console/jobs/retry/confirmed", null, "csrf=" + csrf + "&job=garbage", session), "job", "confirmed job=garbage");
        String many = IntStream.range(0, 501).mapToObj(i -> "job=" + UUID.randomUUID()).collect(Collectors.joining("&"));
        assertBadRequest(api.call("POST", "/console/jobs/retry/confirmed", null, "csrf=" + csrf + "&" + many, session), "job", "501 jobs");
    }

    @Test
    void theConsolesReplayByClassWithoutAClassIsRefusedAndNotAudited() throws Exception {
        String session = api.signIn(operator);
        String csrf = api.csrf(session);
        long audited = Sql.count(cluster.db(), "SELECT count(*) FROM fanout_audit WHERE action = 'letter.replay'");
        assertBadRequest(api.call("POST", "/console/dead-letters/replay/confirmed", null, "csrf=" + csrf, session), "errorClass", "no class");
        assertBadRequest(api.call("POST", "/console/dead-letters/replay/confirmed", null, "csrf=" + csrf + "&errorClass=+", session), "errorClass",
                "a blank class");
        assertEquals(audited, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_audit WHERE action = 'letter.replay'"));
    }

    @Test
    void aReplayByClassReadsAndReplaysAtMostItsBound() throws Exception {
        String errorClass = "io.example.Many" + UUID.randomUUID().toString().substring(0, 8);
        Sql.execute(cluster.db(), "INSERT INTO fanout_dead_letter (letter_key, reason, error_class, failed_at, original_topic, record_value, "
                + "owner_partition) SELECT 'many-' || ? || '-' || i, 'POISON', ?, now(), ?, '\\x00'::bytea, 0 FROM generate_series(1, ?) i",
                errorClass, errorClass, cluster.topics.status(), DeadLetters.MAX_PER_REQUEST + 20);
        ApiCalls.Reply r = api.call("POST", "/api/v1/dead-letters/replay?dryRun=true&errorClass=" + errorClass, operator, null, null);
        assertEquals(200, r.status(), r.raw().body());
        assertEquals(DeadLetters.MAX_PER_REQUEST, r.body().get("letters").size());
    }

    /** Anyone who may write the executors topic may write a heartbeat whose time is not one: the view shows it as silent, not a 500. */
    @Test
    void aHeartbeatWithATimeThatIsNotOneIsShownAsSilent() throws Exception {
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(java.util.Map.of("bootstrap.servers", cluster.bootstrap),
                new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cluster.topics.executors(), "evil".getBytes(),
                    "{\"id\":\"evil\",\"pool\":\"default\",\"time\":\"not-a-time\",\"heartbeatIntervalMs\":1000}".getBytes())).get();
        }
        // the view is read at most every 2 s: a page shown before the heartbeat was written may still be the answer for a moment
        ApiCalls.Reply r = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15))
                .until(() -> api.get("/api/v1/executors", operator), reply -> reply.status() != 200 || reply.raw().body().contains("\"evil\""));
        assertEquals(200, r.status(), r.raw().body());
        assertEquals(0, r.body().get("live").size());
    }

    /** A client that announces a large body and waits for "100 Continue" gets the 413 at once, and never sends the body. */
    @Test
    void aLargeBodyAnnouncedWithExpectContinueIsRefusedBeforeItIsSent() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/v1/workflow-runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + operator
                    + "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            String status = in.readLine();
            assertEquals("HTTP/1.1 413 Payload Too Large", status.replace("Content Too Large", "Payload Too Large"), status);
            StringBuilder rest = new StringBuilder();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                rest.append(line).append('\n');
                if (line.contains("}")) {
                    break;
                }
            }
            assertTrue(rest.toString().contains("application/json") && rest.toString().contains("too_large"), rest.toString());
        }
    }

    /**
     * The server answers from the Content-Length and closes the connection without reading the body;
     * a client still sending it may see that connection reset before it reads the answer (TCP drops
     * what was sent and not read), so such a reset is tried again: what arrives must be the 413.
     */
    @Test
    void aBodyOverTheLimitIsA413WithAJsonError() throws Exception {
        String big = "{\"workflow\":\"" + "w".repeat(1024 * 1024) + "\"}";
        ApiCalls.Reply r = null;
        for (int attempt = 1; r == null; attempt++) {
            try {
                r = api.call("POST", "/api/v1/workflow-runs", operator, big, null, "Content-Type", "application/json");
            } catch (java.io.IOException reset) {
                if (attempt == 3) {
                    throw reset;
                }
            }
        }
        assertEquals(413, r.status(), r.raw().body());
        assertEquals("too_large", r.code());
    }
}
