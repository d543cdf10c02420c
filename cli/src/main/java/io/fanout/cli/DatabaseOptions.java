package io.fanout.cli;

import picocli.CommandLine.Option;

/** The coordinator's PostgreSQL. The password comes from the environment, never from a flag in shell history. */
final class DatabaseOptions {

    @Option(names = "--jdbc-url", defaultValue = "${env:FANOUT_JDBC_URL:-jdbc:postgresql://localhost:5432/fanout}",
            description = "PostgreSQL JDBC URL (env FANOUT_JDBC_URL; default ${DEFAULT-VALUE}).")
    String jdbcUrl;

    @Option(names = "--db-user", defaultValue = "${env:FANOUT_DB_USER:-fanout}", description = "Database user (env FANOUT_DB_USER).")
    String user;

    String password() {
        return System.getenv("FANOUT_DB_PASSWORD");
    }
}
