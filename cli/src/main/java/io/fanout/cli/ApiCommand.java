package io.fanout.cli;

import io.fanout.shared.GroupIds;
import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.coordinator.store.Database;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fanout console}: the REST API server, until stopped. */
@Command(name = "console", mixinStandardHelpOptions = true, description = {
        "Serves the REST API (/api/v1, OpenAPI document at /api/v1/openapi.json) until stopped. Every route needs an API token",
        "(fanout token create; or FANOUT_ADMIN_TOKEN, a token you chose, is stored as an admin token at start). Binds to localhost",
        "unless --bind says otherwise."})
final class ApiCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--bind", defaultValue = "${env:FANOUT_CONSOLE_BIND:-127.0.0.1:8080}",
            description = "HOST:PORT to listen on (env FANOUT_CONSOLE_BIND; default ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--executor-group", defaultValue = "${env:FANOUT_EXECUTOR_GROUP:-" + GroupIds.DEFAULT_EXECUTORS + "}",
            description = "The executors' base consumer group, for the pools' lag (default ${DEFAULT-VALUE}).")
    String executorGroup;

    @Option(names = "--tls-keystore", description = "Serve HTTPS only, with this PKCS#12 key store (its password from env FANOUT_TLS_KEYSTORE_PASSWORD).")
    java.nio.file.Path tlsKeystore;

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
        String bootstrapAdmin = System.getenv("FANOUT_ADMIN_TOKEN");
        if (bootstrapAdmin != null && !bootstrapAdmin.isBlank()) {
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1)) {
                boolean created = new ApiTokens(database.dataSource()).ensure(bootstrapAdmin, "admin (FANOUT_ADMIN_TOKEN)", Scope.ADMIN, "environment");
                System.err.println(created ? "the admin token from FANOUT_ADMIN_TOKEN is stored (its hash); revoke it with fanout token revoke once you have your own"
                        : "the admin token from FANOUT_ADMIN_TOKEN is known already");
            } catch (IllegalArgumentException e) {
                System.err.println("FANOUT_ADMIN_TOKEN: " + e.getMessage());
                return 2;
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (ApiServer server = ApiServer.start(new ApiServer.Config(bind.substring(0, colon), port, db.jdbcUrl, db.user, db.password(), kafka.kafka(),
                kafka.topics(), executorGroup, tls()))) {
            System.out.printf("Fanout API on %s://%s:%d/api/v1 (OpenAPI: /api/v1/openapi.json; console: /console)%n", tlsKeystore == null ? "http" : "https",
                    bind.substring(0, colon), server.port());
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
            stopped.await();
        }
        return 0;
    }

    private ApiServer.Tls tls() {
        if (tlsKeystore == null) {
            return null;
        }
        if (!java.nio.file.Files.isReadable(tlsKeystore)) {
            throw new IllegalArgumentException("--tls-keystore " + tlsKeystore + " is not a readable file");
        }
        String password = System.getenv("FANOUT_TLS_KEYSTORE_PASSWORD");
        return new ApiServer.Tls(tlsKeystore, password == null ? "" : password);
    }
}
