package io.fanout.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Splits single-task jobs' time into stages, from the timestamps the coordinator stored. */
final class LatencyBreakdown {

    private static final String QUERY = """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.received_at - j.created_at)) * 1000,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.started_at - t.received_at)) * 1000,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.finished_at - t.started_at)) * 1000,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.finished_at - t.finished_at)) * 1000
            FROM fanout_job j JOIN fanout_task t ON t.job_id = j.job_id
            WHERE j.processor = 'noop' AND j.total_tasks = 1 AND j.state = 'SUCCEEDED'
            """;

    private LatencyBreakdown() {
    }

    static void print(String jdbcUrl, String user, String password, PrintStream out) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(QUERY)) {
            rs.next();
            out.printf("    job stored -> task received by an executor   %6.1f ms%n", rs.getDouble(1));
            out.printf("    received -> running                          %6.1f ms%n", rs.getDouble(2));
            out.printf("    running -> finished (the no-op itself)       %6.1f ms%n", rs.getDouble(3));
            out.printf("    finished -> job outcome stored               %6.1f ms%n", rs.getDouble(4));
            out.println("    (the rest: client -> coordinator intake, and outcome event -> client)");
        }
    }
}
