package io.fanout.coordinator.store;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Alerts in PostgreSQL: the conditions looked for since the last look (with a minute's overlap, so
 * a transaction that committed late is not missed; the unique key absorbs what is found twice), the
 * alerts owed per receiver, and their delivery state.
 */
public final class AlertStore {

    /** An alert to deliver to one receiver; {@code subject} identifies the condition (with {@code kind}). */
    public record NewAlert(String kind, String subject, String url, ObjectNode payload) {
    }

    /** An alert due for a delivery attempt. */
    public record Due(long id, String kind, URI url, String payload, int attempts) {
    }

    private static final String OVERLAP = "interval '1 minute'";

    private AlertStore() {
    }

    /** Jobs that failed (by their tasks or their deadline) since the last look, one alert per receiver; advances the look. */
    public static List<NewAlert> failedJobs(Connection c, List<URI> installation) throws SQLException {
        List<NewAlert> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT j.job_id, j.client_key, j.processor, j.pool, j.error, j.total_tasks, j.succeeded_tasks, j.failed_tasks, j.created_at,
                       j.finished_at, j.error LIKE ? AS by_deadline, u.url
                FROM fanout_job j, unnest(coalesce(j.alert_webhooks, ?::text[])) AS u(url)
                WHERE j.state = 'FAILED' AND j.finished_at IS NOT NULL
                  AND j.finished_at > (SELECT seen_until FROM fanout_alert_watch WHERE kind = 'jobs') - %s""".formatted(OVERLAP))) {
            ps.setString(1, JobStore.DEADLINE_ERROR + "%");
            ps.setArray(2, urls(c, installation));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String kind = rs.getBoolean(11) ? "job.deadline_exceeded" : "job.failed";
                    ObjectNode job = JsonNodeFactory.instance.objectNode();
                    job.put("id", rs.getString(1)).put("key", rs.getString(2)).put("processor", rs.getString(3)).put("pool", rs.getString(4))
                            .put("state", "FAILED").put("error", rs.getString(5)).put("totalTasks", rs.getLong(6))
                            .put("succeededTasks", rs.getLong(7)).put("failedTasks", rs.getLong(8))
                            .put("createdAt", instant(rs, 9)).put("finishedAt", instant(rs, 10));
                    ObjectNode payload = payload(kind, "job " + rs.getString(1) + " (" + rs.getString(3) + ") failed: " + rs.getString(5));
                    payload.set("job", job);
                    // a job replayed and failed again is a new failure: its finish time tells them apart
                    found.add(new NewAlert(kind, "job:" + rs.getString(1) + ":" + rs.getTimestamp(10).getTime(), rs.getString(12), payload));
                }
            }
        }
        advance(c, "jobs");
        return found;
    }

    /** Workflow runs that failed since the last look; advances the look. */
    public static List<NewAlert> failedRuns(Connection c, List<URI> installation) throws SQLException {
        List<NewAlert> found = new ArrayList<>();
        if (installation.isEmpty()) {
            advance(c, "workflow_runs");
            return found;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT r.run_id, r.client_key, r.workflow, r.version, r.error, r.created_at, r.finished_at, u.url
                FROM fanout_workflow_run r, unnest(?::text[]) AS u(url)
                WHERE r.state = 'FAILED' AND r.finished_at IS NOT NULL
                  AND r.finished_at > (SELECT seen_until FROM fanout_alert_watch WHERE kind = 'workflow_runs') - %s""".formatted(OVERLAP))) {
            ps.setArray(1, urls(c, installation));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode run = JsonNodeFactory.instance.objectNode();
                    run.put("id", rs.getString(1)).put("key", rs.getString(2)).put("workflow", rs.getString(3)).put("version", rs.getInt(4))
                            .put("state", "FAILED").put("error", rs.getString(5)).put("createdAt", instant(rs, 6)).put("finishedAt", instant(rs, 7));
                    ObjectNode payload = payload("workflow.run_failed", "workflow run " + rs.getString(1) + " (" + rs.getString(3) + ") failed: "
                            + rs.getString(5));
                    payload.set("run", run);
                    found.add(new NewAlert("workflow.run_failed", "run:" + rs.getString(1), rs.getString(8), payload));
                }
            }
        }
        advance(c, "workflow_runs");
        return found;
    }

    /**
     * Dead letters the sweeper parked since the last look, one alert per job and receiver (the
     * subject names the newest park, so later parks of the same job raise a new alert); advances the look.
     */
    public static List<NewAlert> parkedLetters(Connection c, List<URI> installation) throws SQLException {
        List<NewAlert> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT d.job_id, max(r.id), count(*), (array_agg(d.id ORDER BY d.id))[1:20], min(d.error_class), u.url
                FROM fanout_replay r JOIN fanout_dead_letter d ON d.id = r.letter_id
                     LEFT JOIN fanout_job j ON j.job_id = d.job_id,
                     unnest(coalesce(j.alert_webhooks, ?::text[])) AS u(url)
                WHERE r.action = 'PARK' AND r.actor LIKE 'sweeper%%'
                  AND r.at > (SELECT seen_until FROM fanout_alert_watch WHERE kind = 'parked_letters') - %s
                GROUP BY d.job_id, u.url""".formatted(OVERLAP))) {
            ps.setArray(1, urls(c, installation));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID job = rs.getObject(1, UUID.class);
                    ObjectNode payload = payload("dead_letters.parked", rs.getLong(3) + " dead letter(s)" + (job == null ? "" : " of job " + job)
                            + " parked by the sweeper (replays used up or error not replayable); first error " + rs.getString(5));
                    payload.put("jobId", job == null ? null : job.toString()).put("parked", rs.getLong(3));
                    Long[] ids = (Long[]) rs.getArray(4).getArray();
                    var letters = payload.putArray("letterIds");
                    for (Long id : ids) {
                        letters.add(id);
                    }
                    found.add(new NewAlert("dead_letters.parked", "parked:" + job + ":" + rs.getLong(2), rs.getString(6), payload));
                }
            }
        }
        advance(c, "parked_letters");
        return found;
    }

    /** A pool's tasks have waited with no live executor for a while; {@code since} names the episode. */
    public static List<NewAlert> stalledPool(List<URI> installation, String pool, long lag, Instant since) {
        ObjectNode payload = payload("pool.stalled", "pool " + pool + " has " + lag + " task(s) waiting and no live executor since " + since);
        payload.put("pool", pool).put("lag", lag).put("since", since.toString());
        return installation.stream().map(u -> new NewAlert("pool.stalled", "pool:" + pool + ":" + since.toEpochMilli(), u.toString(), payload)).toList();
    }

    /** Stores the alerts not stored yet; returns how many were new. */
    public static int enqueue(Connection c, List<NewAlert> alerts) throws SQLException {
        if (alerts.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO fanout_alert (kind, subject, url, payload)
                SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) ON CONFLICT DO NOTHING""")) {
            ps.setArray(1, c.createArrayOf("text", alerts.stream().map(NewAlert::kind).toArray()));
            ps.setArray(2, c.createArrayOf("text", alerts.stream().map(NewAlert::subject).toArray()));
            ps.setArray(3, c.createArrayOf("text", alerts.stream().map(NewAlert::url).toArray()));
            ps.setArray(4, c.createArrayOf("text", alerts.stream().map(a -> a.payload().toString()).toArray()));
            return ps.executeUpdate();
        }
    }

    /**
     * Claims the alerts whose next delivery attempt is due, oldest first, for {@code claim}: no one
     * else (another coordinator that took the lease meanwhile) sends them in that time.
     */
    public static List<Due> claimDue(Connection c, int limit, Duration claim) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE fanout_alert SET next_attempt_at = now() + ? * interval '1 millisecond'
                WHERE id IN (SELECT id FROM fanout_alert WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
                             ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING id, kind, url, payload, attempts""")) {
            ps.setLong(1, claim.toMillis());
            ps.setInt(2, limit);
            List<Due> due = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(rs.getLong(1), rs.getString(2), URI.create(rs.getString(3)), rs.getString(4), rs.getInt(5)));
                }
            }
            return due;
        }
    }

    /** Records an attempt: delivered ({@code error} null), due again at {@code next}, or given up ({@code next} null). */
    public static void attempted(Connection c, long id, String error, Instant next) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE fanout_alert SET attempts = attempts + 1, last_error = ?, "
                + "delivered_at = CASE WHEN ?::text IS NULL THEN now() END, "
                + "gave_up_at = CASE WHEN ?::text IS NOT NULL AND ?::timestamptz IS NULL THEN now() END, "
                + "next_attempt_at = coalesce(?::timestamptz, next_attempt_at) WHERE id = ?")) {
            Timestamp at = next == null ? null : Timestamp.from(next);
            ps.setString(1, error);
            ps.setString(2, error);
            ps.setString(3, error);
            ps.setTimestamp(4, at);
            ps.setTimestamp(5, at);
            ps.setLong(6, id);
            ps.executeUpdate();
        }
    }

    private static void advance(Connection c, String kind) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE fanout_alert_watch SET seen_until = greatest(seen_until, now()) WHERE kind = ?")) {
            ps.setString(1, kind);
            ps.executeUpdate();
        }
    }

    private static ObjectNode payload(String kind, String summary) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("kind", kind).put("summary", summary).put("at", Instant.now().toString());
        return p;
    }

    private static java.sql.Array urls(Connection c, List<URI> urls) throws SQLException {
        return c.createArrayOf("text", urls.stream().map(URI::toString).toArray());
    }

    private static String instant(ResultSet rs, int column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant().toString();
    }
}
