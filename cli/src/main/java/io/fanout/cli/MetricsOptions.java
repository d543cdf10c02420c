package io.fanout.cli;

import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.MetricsServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import picocli.CommandLine.Option;

/** The Prometheus scrape endpoint of a coordinator or executor process. */
final class MetricsOptions implements AutoCloseable {

    @Option(names = "--metrics-port", defaultValue = "${env:FANOUT_METRICS_PORT:--1}",
            description = "Serve Prometheus metrics at http://<host>:PORT/metrics (env FANOUT_METRICS_PORT; default: off).")
    int port;

    private MetricsServer server;

    /** Starts the endpoint if a port is set; returns the registry the process's meters go to. */
    MeterRegistry start() throws IOException {
        if (port < 0) {
            return new SimpleMeterRegistry();
        }
        server = MetricsServer.start(port);
        new FanoutMeters(server.registry()).withJvmMetrics();
        System.err.println("fanout: metrics at http://localhost:" + server.port() + "/metrics");
        return server.registry();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
