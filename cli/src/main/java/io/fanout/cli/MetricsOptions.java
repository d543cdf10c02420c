package io.fanout.cli;

import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.MetricsServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import picocli.CommandLine.Option;

/** The Prometheus scrape endpoint of a coordinator or executor process. */
final class MetricsOptions {

    @Option(names = "--metrics-port", defaultValue = "${env:FANOUT_METRICS_PORT:--1}",
            description = "Serve Prometheus metrics at http://<host>:PORT/metrics (env FANOUT_METRICS_PORT; default: off).")
    int port;

    /** Starts the endpoint, or returns null when it is off. */
    MetricsServer start() throws IOException {
        if (port < 0) {
            return null;
        }
        MetricsServer server = MetricsServer.start(port);
        new FanoutMeters(server.registry()).withJvmMetrics();
        System.err.println("fanout: metrics at http://localhost:" + server.port() + "/metrics");
        return server;
    }

    MeterRegistry registry(MetricsServer server) {
        return server == null ? new SimpleMeterRegistry() : server.registry();
    }
}
