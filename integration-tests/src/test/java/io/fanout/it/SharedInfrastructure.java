package io.fanout.it;

import io.fanout.embedded.EmbeddedDatabase;
import io.fanout.embedded.EmbeddedKafka;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * One real Kafka broker and one real PostgreSQL server for the whole test run, started on first
 * use and stopped when the JVM exits. Tests isolate themselves by topic prefix and by database.
 */
final class SharedInfrastructure {

    private static EmbeddedKafka kafka;
    private static EmbeddedDatabase postgres;

    private SharedInfrastructure() {
    }

    static synchronized String bootstrapServers() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start();
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close));
        }
        return kafka.bootstrapServers();
    }

    /** A new, empty database on the shared server; returns its JDBC URL. */
    static synchronized String newDatabase() {
        if (postgres == null) {
            postgres = EmbeddedDatabase.start();
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::close));
        }
        String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), null); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name, e);
        }
        return postgres.jdbcUrl().replace("/postgres?", "/" + name + "?");
    }

    /** The server's own database, for administering the test databases. */
    static String adminUrl() {
        return postgres.jdbcUrl();
    }

    static String dbUser() {
        return postgres.user();
    }
}
