package io.fanout.shared.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A Prometheus scrape endpoint, {@code GET /metrics}, for one process's meters, and its health,
 * {@code GET /healthz}: 200 while every long-running thread is alive, 503 with the failure once one
 * has died.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private final ProcessHealth health;

    private MetricsServer(HttpServer server, ProcessHealth health) {
        this.server = server;
        this.health = health;
    }

    /** Serves on {@code port} (0: any free port) of every interface. */
    public static MetricsServer start(int port) throws IOException {
        return start(port, new ProcessHealth());
    }

    /** Serves on {@code port} (0: any free port) of every interface, with {@code health} at {@code /healthz}. */
    public static MetricsServer start(int port, ProcessHealth health) throws IOException {
        return start(null, port, health);
    }

    /** Serves on {@code port} of {@code host} (null: every interface), with {@code health} at {@code /healthz}. */
    public static MetricsServer start(String host, int port, ProcessHealth health) throws IOException {
        HttpServer http = HttpServer.create(host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port), 0);
        MetricsServer m = new MetricsServer(http, health);
        m.health.bindTo(m.registry);
        http.createContext("/metrics", exchange -> {
            byte[] body = m.registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.createContext("/healthz", exchange -> {
            ProcessHealth.Failure f = m.health.failure();
            byte[] body = (f == null ? "ok\n" : "unhealthy: " + f + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(f == null ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        return m;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The health this endpoint reports. */
    public ProcessHealth health() {
        return health;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        registry.close();
    }
}
