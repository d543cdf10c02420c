package io.fanout.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.shared.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** What the API shows of jobs and tasks, read from PostgreSQL. Times are ISO-8601 strings. */
public final class JobQueries {

    /** A job as listed and shown; {@code result} and {@code params} only when one job is asked for. */
    public record JobView(UUID id, String key, String processor, String pool, String state, long total, long succeeded, long failed, String createdAt,
                   String finishedAt, String error, JsonNode result, JsonNode params) {
    }

    public record TaskView(UUID id, String name, String state, int attempt, String executor, String errorClass, String errorMessage, String createdAt,
                    String startedAt, String finishedAt) {
    }

    /** Filters of the job list; null means any. Only jobs created at or after {@code since} and before {@code before}. */
    public record JobFilter(String state, String processor, String pool, String key, Instant since, Instant before, int limit) {
    }

    private static final String JOB_COLUMNS = "job_id, client_key, processor, pool, state, total_tasks, succeeded_tasks, failed_tasks, created_at, "
            + "finished_at, error";

    private final DataSource db;

    public JobQueries(DataSource db) {
        this.db = db;
    }

    /** Newest first. */
    public List<JobView> jobs(JobFilter f) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM fanout_job "
                + "WHERE created_at >= ? AND created_at < ? AND (?::text IS NULL OR state = ?) AND (?::text IS NULL OR processor = ?) "
                + "AND (?::text IS NULL OR pool = ?) AND (?::text IS NULL OR client_key = ?) ORDER BY created_at DESC LIMIT ?")) {
            ps.setTimestamp(1, Timestamp.from(f.since()));
            ps.setTimestamp(2, Timestamp.from(f.before()));
            int i = 3;
            for (String v : new String[] {f.state(), f.processor(), f.pool(), f.key()}) {
                ps.setString(i++, v);
                ps.setString(i++, v);
            }
            ps.setInt(i, f.limit());
            List<JobView> jobs = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    jobs.add(job(rs, null, null));
                }
            }
            return jobs;
        }
    }

    public Optional<JobView> job(UUID id) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + ", result_json, params "
                + "FROM fanout_job WHERE job_id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(job(rs, tree(rs.getString("result_json")), tree(rs.getString("params")))) : Optional.empty();
            }
        }
    }

    /** The job's counts and state, without its params and result (up to 512 KiB each): what a progress stream reads twice a second. */
    public Optional<JobView> counts(UUID id) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM fanout_job WHERE job_id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(job(rs, null, null)) : Optional.empty();
            }
        }
    }

    /** The job's tasks in the order they were created, optionally of one state. */
    public List<TaskView> tasks(UUID jobId, String state, int limit) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT task_id, task_name, state, attempt, executor_id, "
                + "error_class, error_message, created_at, started_at, finished_at FROM fanout_task WHERE job_id = ? AND (?::text IS NULL OR state = ?) "
                + "ORDER BY created_at, task_id LIMIT ?")) {
            ps.setObject(1, jobId);
            ps.setString(2, state);
            ps.setString(3, state);
            ps.setInt(4, limit);
            List<TaskView> tasks = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tasks.add(new TaskView(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5), rs.getString(6),
                            rs.getString(7), time(rs, 8), time(rs, 9), time(rs, 10)));
                }
            }
            return tasks;
        }
    }

    /** How many jobs created since then are in each state. */
    public java.util.Map<String, Long> countsByState(Instant since) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT state, count(*) FROM fanout_job WHERE created_at >= ? GROUP BY state ORDER BY state")) {
            ps.setTimestamp(1, Timestamp.from(since));
            java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
            }
            return counts;
        }
    }

    private static JobView job(ResultSet rs, JsonNode result, JsonNode params) throws SQLException {
        return new JobView(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6), rs.getLong(7),
                rs.getLong(8), time(rs, 9), time(rs, 10), rs.getString(11), result, params);
    }

    private static JsonNode tree(String json) {
        return json == null ? null : Json.readTree(json);
    }

    static String time(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant().toString();
    }
}
