package io.fanout.query;

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

/** What the CLI, the console and the API show of the dead-letter index and its replay log. */
public final class LetterQueries {

    /** The columns {@link #letters} reads, in its order. */
    public static final String COLUMNS = "id, reason, state, job_id, task_id, task_name, processor, attempts, error_class, error_message, stack_trace, "
            + "executor_id, first_failed_at, failed_at, original_topic, original_partition, original_offset, dlt_partition, dlt_offset, replay_count, "
            + "last_replayed_at, owner_partition";

    /** Which letters to list; null fields do not filter. */
    public record Filter(UUID jobId, String errorClass, Instant since, String state, int limit) {
        public static Filter all() {
            return new Filter(null, null, null, null, 1000);
        }
    }

    /** One entry of a letter's replay log. */
    public record Replay(String action, String actor, String outcome, Instant at) {
    }

    private LetterQueries() {
    }

    /** Oldest first, up to the filter's limit. */
    public static List<DeadLetter> list(Connection conn, Filter f) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM fanout_dead_letter WHERE true");
        List<Object> args = new ArrayList<>();
        if (f.jobId() != null) {
            sql.append(" AND job_id = ?");
            args.add(f.jobId());
        }
        if (f.errorClass() != null) {
            sql.append(" AND error_class = ?");
            args.add(f.errorClass());
        }
        if (f.since() != null) {
            sql.append(" AND failed_at >= ?");
            args.add(Timestamp.from(f.since()));
        }
        if (f.state() != null) {
            sql.append(" AND state = ?");
            args.add(f.state());
        }
        sql.append(" ORDER BY id LIMIT ").append(Math.max(1, f.limit()));
        try (PreparedStatement ps = conn.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            return letters(ps);
        }
    }

    public static Optional<DeadLetter> find(Connection conn, long id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM fanout_dead_letter WHERE id = ?")) {
            ps.setLong(1, id);
            return letters(ps).stream().findFirst();
        }
    }

    public static List<Replay> replays(Connection conn, long id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT action, actor, outcome, at FROM fanout_replay WHERE letter_id = ? ORDER BY id")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                List<Replay> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Replay(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant()));
                }
                return out;
            }
        }
    }

    /** The letters a statement selecting {@link #COLUMNS} finds. */
    public static List<DeadLetter> letters(PreparedStatement ps) throws SQLException {
        List<DeadLetter> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new DeadLetter(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class), rs.getObject(5, UUID.class),
                        rs.getString(6), rs.getString(7), (Integer) rs.getObject(8), rs.getString(9), rs.getString(10), rs.getString(11),
                        rs.getString(12), instant(rs.getTimestamp(13)), instant(rs.getTimestamp(14)), rs.getString(15), (Integer) rs.getObject(16),
                        (Long) rs.getObject(17), (Integer) rs.getObject(18), (Long) rs.getObject(19), rs.getInt(20), instant(rs.getTimestamp(21)),
                        rs.getInt(22)));
            }
        }
        return out;
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
