package io.fanout.query;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Reads one job's status straight from PostgreSQL (read-only: no pool, no migration). */
public final class JobStatusReader {

    private JobStatusReader() {
    }

    public static Optional<JobStatus> read(String jdbcUrl, String user, String password, UUID jobId) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
            return read(c, jobId);
        }
    }

    public static Optional<JobStatus> read(Connection c, UUID jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT client_key, processor, state, total_tasks, succeeded_tasks, failed_tasks, "
                + "result_json, error, created_at, finished_at FROM fanout_job WHERE job_id = ?")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new JobStatus(jobId, rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6), countByState(c, jobId), rs.getString(7), rs.getString(8), rs.getObject(9, OffsetDateTime.class),
                        rs.getObject(10, OffsetDateTime.class)));
            }
        }
    }

    private static Map<String, Long> countByState(Connection c, UUID jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state, count(*) FROM fanout_task WHERE job_id = ? GROUP BY state ORDER BY 1")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, Long> counts = new LinkedHashMap<>();
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
                return counts;
            }
        }
    }
}
