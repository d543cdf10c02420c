package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.shared.model.JobRequests;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 22, M1: one read token cannot hold the API's progress streams: they are capped per token
 * and in all, each sends heartbeats (a client that left is noticed), and a revoked token stops
 * streaming. The job never ends (no executor runs it), as a long job would not.
 */
class ProgressStreamsIT {

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<HttpResponse<?>> opened = new ArrayList<>();

    /** The lines of a progress stream, as they come. */
    private BlockingQueue<String> open(ApiServer server, String token, UUID job) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(new ApiCalls(server).uri("/api/v1/jobs/" + job + "/progress"))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
        opened.add(r);
        Thread.ofVirtual().start(() -> r.body().forEach(lines::add));
        return lines;
    }

    /** Waits for a line that contains {@code text}; null if none came within the time. */
    private static String awaitLine(BlockingQueue<String> lines, String text, int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            String l = lines.poll(200, TimeUnit.MILLISECONDS);
            if (l != null && l.contains(text)) {
                return l;
            }
        }
        return null;
    }

    @Test
    void streamsAreCappedPerTokenAndInAllBeatAndEndWhenTheTokenIsRevoked() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             ApiServer server = ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                     java.util.Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup())
                     .withLimits(new ApiServer.Limits(10, 2, 3)))) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").build());
            ApiTokens tokens = new ApiTokens(cluster.db());
            ApiTokens.Created a = tokens.create("a", Scope.READ, null, "test");
            String b = tokens.create("b", Scope.READ, null, "test").secret();

            BlockingQueue<String> first = open(server, a.secret(), job);
            assertNotNull(awaitLine(first, "\"state\"", 30), "the first stream shows the job");
            open(server, a.secret(), job);
            BlockingQueue<String> third = open(server, a.secret(), job);
            assertNotNull(awaitLine(third, "too_many_streams", 10), "a third stream of one token is refused");
            BlockingQueue<String> fromB = open(server, b, job);
            assertNotNull(awaitLine(fromB, "\"state\"", 10), "another token may stream");
            assertNotNull(awaitLine(open(server, b, job), "too_many_streams", 10), "but not past the total");

            assertNotNull(awaitLine(fromB, "heartbeat", 15), "an idle stream beats");
            tokens.revoke(a.id());
            String ended = awaitLine(first, "unauthenticated", 15);
            assertNotNull(ended, "a revoked token's stream ends");
            assertTrue(ended.startsWith("data:"), ended);
        } finally {
            opened.forEach(r -> ((java.util.stream.Stream<?>) r.body()).close());
        }
    }

    @Test
    void aStreamAnswersNoExceptionTextAndEndsForAnUnknownJob() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = ApiCalls.start(cluster)) {
            String token = new ApiTokens(cluster.db()).create("r", Scope.READ, null, "test").secret();
            BlockingQueue<String> lines = open(server, token, UUID.randomUUID());
            String end = awaitLine(lines, "not_found", 20);
            assertNotNull(end);
            assertEquals(-1, end.indexOf("Exception"));
        }
    }
}
