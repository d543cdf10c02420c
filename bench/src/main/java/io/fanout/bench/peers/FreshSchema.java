package io.fanout.bench.peers;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * A uniquely named schema and a connection pool confined to it, so that each peer starts from empty
 * tables and leaves nothing behind: closing the pool drops the schema.
 */
final class FreshSchema implements AutoCloseable {

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String name;
    private final HikariDataSource pool;

    FreshSchema(String jdbcUrl, String user, String password, String prefix, int poolSize) throws SQLException {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        execute("CREATE SCHEMA " + name);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + name);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName(name);
        pool = new HikariDataSource(config);
    }

    DataSource dataSource() {
        return pool;
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Override
    public void close() throws SQLException {
        pool.close();
        execute("DROP SCHEMA " + name + " CASCADE");
    }
}
