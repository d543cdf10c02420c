package io.fanout.coordinator.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/** The coordinator's PostgreSQL: a HikariCP pool over a schema kept current by Flyway migrations. */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Connects and migrates the schema. A server that is not up yet (a restart, a container still
     * starting) is waited for, about 30 s; after that, or for any other error, this fails with the URL.
     */
    public static Database connect(String jdbcUrl, String user, String password, int poolSize) {
        return connect(jdbcUrl, user, password, poolSize, null);
    }

    /** As {@link #connect(String, String, String, int)}, with the pool's meters (connections, waits, timeouts) in {@code meters}. */
    public static Database connect(String jdbcUrl, String user, String password, int poolSize, MeterRegistry meters) {
        try {
            return DatabaseRetry.create("database-connect").executeCallable(() -> open(jdbcUrl, user, password, poolSize, meters));
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot connect to PostgreSQL at " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }

    private static Database open(String jdbcUrl, String user, String password, int poolSize, MeterRegistry meters) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(Math.max(2, poolSize)); // Flyway holds one connection while it migrates with another
        config.setPoolName("fanout-coordinator-db");
        config.setAutoCommit(true);
        if (meters != null) {
            config.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        }
        // A process paused in the middle of a transaction (GC, SIGSTOP) must not hold its locks for
        // ever: its session ends after this long idle, and a coordinator taking over can go on.
        // Each execution planned for its own parameters: a plan cached for a batch's arrays while the
        // tables were young (or before autovacuum analysed them) scans a task table whole for every
        // small batch; planned with the arrays' real sizes, a few rows are found by their keys.
        config.setConnectionInitSql("SET idle_in_transaction_session_timeout = '60s'; SET plan_cache_mode = force_custom_plan");
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
