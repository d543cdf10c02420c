package io.fanout.shared.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Prometheus scrape endpoint, {@code GET /metrics}, for one process's meters, and its health,
 * {@code GET /healthz}: 200 while every long-running thread is alive, 503 naming the thread once one
 * has died (the cause is in the process's log, not in the answer). Listens on loopback unless told
 * otherwise, and answers on a small pool of threads, so one stalled connection cannot make the
 * health check fail and get the process restarted.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private final ProcessHealth health;

    private MetricsServer(HttpServer server, ProcessHealth health) {
        this.server = server;
        this.health = health;
    }

    /** The address it listens on unless told otherwise: this machine only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Exchanges answered at once; more wait in the accept queue. */
    static final int THREADS = 4;

    /** Serves on {@code port} (0: any free port) of loopback. */
    public static MetricsServer start(int port) throws IOException {
        return start(port, new ProcessHealth());
    }

    /** Serves on {@code port} (0: any free port) of loopback, with {@code health} at {@code /healthz}. */
    public static MetricsServer start(int port, ProcessHealth health) throws IOException {
        return start(null, port, health);
    }

    /** Serves on {@code port} of {@code host} (null: {@value #DEFAULT_HOST}), with {@code health} at {@code /healthz}. */
    public static MetricsServer start(String host, int port, ProcessHealth health) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host == null ? DEFAULT_HOST : host, port), 0);
        AtomicInteger n = new AtomicInteger();
        http.setExecutor(Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "fanout-metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }));
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
            byte[] body = (f == null ? "ok\n" : "unhealthy: " + f.thread() + " stopped (the process's log has the cause)\n").getBytes(StandardCharsets.UTF_8);
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
        if (server.getExecutor() instanceof ExecutorService pool) {
            pool.shutdownNow();
        }
        registry.close();
    }
}
