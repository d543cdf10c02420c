package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.metrics.MetricsServer;
import io.fanout.shared.metrics.ProcessHealth;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The container health check against a real metrics server: 0 while healthy, 1 once a thread has died or when nothing answers. */
class HealthCheckTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int check(String... urls) {
        return HealthCheck.check(urls, Duration.ofSeconds(2), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void healthyWhileEveryThreadLivesUnhealthyOnceOneDied() throws Exception {
        ProcessHealth health = new ProcessHealth();
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, health)) {
            String url = "http://127.0.0.1:" + server.port() + "/healthz";
            assertEquals(0, check(url));
            assertEquals("", err.toString(StandardCharsets.UTF_8));

            health.failed("fanout-coordinator-loop", new IllegalStateException("could not claim partitions"));
            assertEquals(1, check(url));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("answered 503: unhealthy: fanout-coordinator-loop stopped"), err.toString(StandardCharsets.UTF_8));
            assertTrue(!err.toString(StandardCharsets.UTF_8).contains("could not claim partitions"), "no exception text: " + err);
        }
    }

    @Test
    void unhealthyWhenNothingListensOrThePathIsWrong() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertEquals(1, check("http://127.0.0.1:" + port + "/healthz"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("did not answer: java.net.ConnectException"), err.toString(StandardCharsets.UTF_8));
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, new ProcessHealth())) {
            assertEquals(1, check("http://127.0.0.1:" + server.port() + "/healthz", "http://127.0.0.1:" + server.port() + "/nothing-here"));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("/nothing-here answered 404"), err.toString(StandardCharsets.UTF_8));
        }
        assertEquals(2, check(), "no URL is a usage error");
    }
}
