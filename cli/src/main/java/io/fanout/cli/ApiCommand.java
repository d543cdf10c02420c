package io.fanout.cli;

import io.fanout.console.ApiServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fanout console}: the REST API server, until stopped. */
@Command(name = "console", mixinStandardHelpOptions = true, description = {
        "Serves the REST API (/api/v1, OpenAPI document at /api/v1/openapi.json) until stopped. Every route needs an API token",
        "(fanout token create). Binds to localhost unless --bind says otherwise."})
final class ApiCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--bind", defaultValue = "${env:FANOUT_CONSOLE_BIND:-127.0.0.1:8080}",
            description = "HOST:PORT to listen on (env FANOUT_CONSOLE_BIND; default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--executor-group", defaultValue = "fanout-executors",
            description = "The executors' base consumer group, for the pools' lag (default ${DEFAULT-VALUE}).")
    String executorGroup;

    @Override
    public Integer call() throws Exception {
        int colon = bind.lastIndexOf(':');
        if (colon < 1) {
            System.err.println("--bind is HOST:PORT, got '" + bind + "'");
            return 2;
        }
        int port;
        try {
            port = Integer.parseInt(bind.substring(colon + 1));
        } catch (NumberFormatException e) {
            System.err.println("--bind is HOST:PORT, got '" + bind + "'");
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (ApiServer server = ApiServer.start(new ApiServer.Config(bind.substring(0, colon), port, db.jdbcUrl, db.user, db.password(), kafka.kafka(),
                kafka.topics(), executorGroup))) {
            System.out.printf("Fanout API on http://%s:%d/api/v1 (OpenAPI: /api/v1/openapi.json)%n", bind.substring(0, colon), server.port());
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
            stopped.await();
        }
        return 0;
    }
}
