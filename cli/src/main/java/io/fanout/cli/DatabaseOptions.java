package io.fanout.cli;

import io.fanout.query.JobStatus;
import io.fanout.query.JobStatusReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/** The coordinator's PostgreSQL. The password comes from the environment, never from a flag in shell history. */
final class DatabaseOptions {

    /** How long a read-only command waits for PostgreSQL to accept a connection. */
    static final int CONNECT_TIMEOUT_SECONDS = 10;

    @Option(names = "--jdbc-url", defaultValue = "${env:FANOUT_JDBC_URL:-jdbc:postgresql://localhost:5432/fanout}",
            description = "PostgreSQL JDBC URL (env FANOUT_JDBC_URL; default ${DEFAULT-VALUE}).")
    String jdbcUrl;

    @Option(names = "--db-user", defaultValue = "${env:FANOUT_DB_USER:-fanout}", description = "Database user (env FANOUT_DB_USER).")
    String user;

    String password() {
        return System.getenv("FANOUT_DB_PASSWORD");
    }

    /**
     * The database for a command that only reads (jobs, status, watch): a connection when asked,
     * no pool and no schema migration, and at most {@value #CONNECT_TIMEOUT_SECONDS} s to connect.
     */
    DataSource reader() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl);
        ds.setUser(user);
        ds.setPassword(password());
        ds.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
        ds.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
        return ds;
    }

    /** The URL without its parameters (which may hold a password), for messages. */
    String where() {
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    /** The job as PostgreSQL has it now. */
    Optional<JobStatus> job(UUID jobId) throws SQLException {
        try (Connection c = reader().getConnection()) {
            return JobStatusReader.read(c, jobId);
        } catch (SQLException e) {
            throw new SQLException("cannot read job " + jobId + " from PostgreSQL at " + where() + ": " + e.getMessage(), e.getSQLState(), e);
        }
    }
}
