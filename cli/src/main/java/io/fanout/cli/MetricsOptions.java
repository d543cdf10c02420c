package io.fanout.cli;

import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.MetricsServer;
import io.fanout.shared.metrics.ProcessHealth;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import picocli.CommandLine.Option;

/**
 * The Prometheus scrape and health endpoints of a coordinator or executor process, and what the
 * process does when one of its long-running threads dies: it exits with status
 * {@value #DEAD_THREAD_EXIT}, so a supervisor restarts it.
 */
final class MetricsOptions implements AutoCloseable {

    @Option(names = "--metrics-port", defaultValue = "${env:FANOUT_METRICS_PORT:--1}",
            description = "Serve Prometheus metrics at http://<host>:PORT/metrics (env FANOUT_METRICS_PORT; default: off).")
    int port;

    @Option(names = "--metrics-bind", defaultValue = "${env:FANOUT_METRICS_BIND:-127.0.0.1}",
            description = "The address the metrics endpoint listens on (env FANOUT_METRICS_BIND; default ${DEFAULT-VALUE}: this machine only; "
                    + "0.0.0.0 for a scraper on another host, behind a firewall).")
    String bind;

    /** The exit status of a process one of whose long-running threads died (EX_SOFTWARE). */
    static final int DEAD_THREAD_EXIT = ExitCodes.DEAD_THREAD;

    private final ProcessHealth health = new ProcessHealth();
    private MetricsServer server;

    /** The process's health: a dead thread ends the process with {@value #DEAD_THREAD_EXIT}. */
    ProcessHealth health() {
        return health;
    }

    /** Starts the endpoint if a port is set; returns the registry the process's meters go to. */
    MeterRegistry start() throws IOException {
        health.onFailure(f -> {
            System.err.println("fanout: " + f + "; the process exits with status " + DEAD_THREAD_EXIT + " so that it can be restarted");
            new Thread(() -> System.exit(DEAD_THREAD_EXIT), "fanout-exit").start(); // not on the dying thread: the shutdown hooks wait for it
        });
        if (port < 0) {
            return new SimpleMeterRegistry();
        }
        server = MetricsServer.start(bind, port, health);
        new FanoutMeters(server.registry()).withJvmMetrics();
        System.err.println("fanout: metrics at http://" + bind + ":" + server.port() + "/metrics");
        return server.registry();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
