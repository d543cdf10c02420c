package io.fanout.bench;

import io.fanout.embedded.EmbeddedDatabase;
import io.fanout.embedded.EmbeddedKafka;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Where a benchmark runs: a broker and a PostgreSQL the user names, or embedded ones. On a named
 * database each run gets a schema of its own (dropped afterwards), so runs never see each other's
 * rows and the user's own tables are never touched.
 */
public final class BenchSite implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final EmbeddedDatabase embeddedDb;
    private final String bootstrap;
    private final String serverUrl;
    private final String schema = "fanout_bench_" + UUID.randomUUID().toString().substring(0, 8);
    private final String user;
    private final String password;

    private BenchSite(EmbeddedKafka kafka, String bootstrap, EmbeddedDatabase embeddedDb, String serverUrl, String user, String password) {
        this.kafka = kafka;
        this.bootstrap = bootstrap;
        this.embeddedDb = embeddedDb;
        this.serverUrl = serverUrl;
        this.user = user;
        this.password = password;
    }

    /**
     * @param bootstrap the broker to use, or null for an embedded one
     * @param jdbcUrl the PostgreSQL to use, or null for an embedded one
     */
    public static BenchSite open(String bootstrap, String jdbcUrl, String user, String password) throws SQLException {
        EmbeddedKafka kafka = bootstrap == null ? EmbeddedKafka.start() : null;
        EmbeddedDatabase db = jdbcUrl == null ? EmbeddedDatabase.start() : null;
        BenchSite site = new BenchSite(kafka, kafka != null ? kafka.bootstrapServers() : bootstrap, db, db != null ? db.jdbcUrl() : jdbcUrl,
                db != null ? db.user() : user, db != null ? null : password);
        try (Connection c = site.serverConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + site.schema);
        } catch (SQLException e) {
            site.close();
            throw new IllegalStateException("cannot create a schema for the benchmark at " + site.serverUrl + ": " + e.getMessage(), e);
        }
        return site;
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    /** The server, without a schema of the benchmark's (the peers make their own). */
    public String serverUrl() {
        return serverUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** The benchmark's own schema on the server. */
    String jdbcUrl() {
        return serverUrl + (serverUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    Connection serverConnection() throws SQLException {
        return DriverManager.getConnection(serverUrl, user, password);
    }

    /**
     * Gathers the planner's statistics of the benchmark's job and task tables, as autovacuum does
     * within a minute or two on a live system: until then, statements prepared while the tables were
     * young keep plans that scan them whole.
     */
    void analyze() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), user, password); Statement st = c.createStatement()) {
            st.execute("ANALYZE fanout_job, fanout_task");
        }
    }

    /** The WAL the whole server has written since its statistics were last reset (pg_stat_wal, PostgreSQL 14+); -1 where it cannot tell. */
    long walBytes() {
        try (Connection c = serverConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT wal_bytes::int8 FROM pg_stat_wal")) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    /** Rows inserted into and updated in the task table so far, and how many updates were HOT (no new index entry). */
    record TaskTableWrites(long inserted, long updated, long hot) {

        TaskTableWrites since(TaskTableWrites before) {
            return new TaskTableWrites(inserted - before.inserted, updated - before.updated, hot - before.hot);
        }
    }

    /** The task table's writes (pg_stat_user_tables: each backend adds its own at most once a second); null where it cannot tell. */
    TaskTableWrites taskTableWrites() {
        try (Connection c = serverConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = ? AND relname = 'fanout_task'")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new TaskTableWrites(rs.getLong(1), rs.getLong(2), rs.getLong(3)) : null;
            }
        } catch (SQLException e) {
            return null;
        }
    }

    /** The server and the settings that decide what a commit costs, printed next to the figures. */
    String describeDatabase() throws SQLException {
        try (Connection c = serverConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")) {
            rs.next();
            return (embeddedDb != null ? "embedded " : "") + "PostgreSQL " + rs.getString(1) + ", fsync=" + rs.getString(2) + ", synchronous_commit="
                    + rs.getString(3);
        }
    }

    String describeBroker() {
        return (kafka != null ? "embedded Kafka broker at " : "Kafka at ") + bootstrap;
    }

    @Override
    public void close() {
        try (Connection c = serverConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            System.err.println("could not drop the benchmark schema " + schema + ": " + e.getMessage());
        }
        if (embeddedDb != null) {
            embeddedDb.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }
}
