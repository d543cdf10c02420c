package io.fanout.shared.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 22, M5: the metrics and health endpoint listens on loopback by default, keeps exception text to the log, and outlives a stalled client. */
class MetricsServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> get(MetricsServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(3)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void byDefaultItListensOnLoopbackOnly() throws Exception {
        try (MetricsServer server = MetricsServer.start(0)) {
            assertEquals("ok\n", get(server, "/healthz").body());
            String other = InetAddress.getLocalHost().getHostAddress();
            if (!InetAddress.getByName(other).isLoopbackAddress()) {
                assertFalse(reachable(other, server.port()), "not reachable on " + other);
            }
        }
    }

    @Test
    void anUnhealthyAnswerNamesTheThreadButNotTheException() throws Exception {
        ProcessHealth health = new ProcessHealth();
        try (MetricsServer server = MetricsServer.start(null, 0, health)) {
            health.failed("fanout-coordinator-loop", new IllegalStateException("jdbc:postgresql://db/fanout?password=secret"));
            HttpResponse<String> r = get(server, "/healthz");
            assertEquals(503, r.statusCode());
            assertTrue(r.body().contains("fanout-coordinator-loop"), r.body());
            assertFalse(r.body().contains("secret") || r.body().contains("IllegalStateException"), r.body());
        }
    }

    @Test
    void stalledConnectionsDoNotStopTheHealthCheck() throws Exception {
        try (MetricsServer server = MetricsServer.start(0)) {
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < MetricsServer.THREADS - 1; i++) { // each sends half a request and then nothing
                    Socket s = new Socket("127.0.0.1", server.port());
                    OutputStream out = s.getOutputStream();
                    out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    stalled.add(s);
                }
                assertEquals(200, get(server, "/healthz").statusCode());
                assertEquals(200, get(server, "/metrics").statusCode());
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    private static boolean reachable(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(host, port), 1000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
