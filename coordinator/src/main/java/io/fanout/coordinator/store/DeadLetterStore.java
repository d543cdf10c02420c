package io.fanout.coordinator.store;

import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.Failure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The dead-letter index and its replay log in PostgreSQL, as the letters' owner writes them (what operators see: {@link LetterQueries}). */
public final class DeadLetterStore {

    private DeadLetterStore() {
    }

    static String taskKey(UUID taskId) {
        return "task:" + taskId;
    }

    static String recordKey(String topic, int partition, long offset) {
        return "record:" + topic + "-" + partition + "@" + offset;
    }

    /** Task letters by id, each with what its dead-letter record carries (the failed attempt's task record and why). */
    public static List<NewDeadLetter> taskLetters(Connection conn, List<Long> ids) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, "
                + "j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count, " + JobStore.COLUMNS_OF_J + ", j.reduce_feed, "
                + "d.id, d.task_id, d.reason, d.attempts, d.executor_id, d.error_class, d.error_message, d.stack_trace, d.first_failed_at, d.failed_at, "
                + "d.original_partition, d.original_offset "
                + "FROM fanout_dead_letter d JOIN fanout_task t ON t.job_id = d.job_id AND t.task_id = d.task_id JOIN fanout_job j ON j.job_id = d.job_id "
                + "WHERE d.id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("int8", ids.toArray()));
            List<NewDeadLetter> letters = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    JobRow job = JobStore.readJob(rs, 10);
                    NewTask task = Rows.task(rs, job.jobId(), rs.getObject("task_id", UUID.class), 1);
                    Timestamp first = rs.getTimestamp("first_failed_at");
                    Instant failedAt = rs.getTimestamp("failed_at").toInstant();
                    Failure failure = new Failure(rs.getString("error_class"), rs.getString("error_message"), rs.getString("stack_trace"), false, -1,
                            (int) longOr(rs, "original_partition"), longOr(rs, "original_offset"));
                    letters.add(new NewDeadLetter(rs.getLong("id"), job, task, rs.getInt("attempts") - 1, rs.getString("reason"), rs.getString("executor_id"),
                            failure, first == null ? failedAt : first.toInstant(), failedAt, task.kind() == TaskKind.REDUCE ? Rows.range(rs) : null));
                }
            }
            return letters;
        }
    }

    /** The column's value, or -1 where it is null. */
    private static long longOr(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? -1 : v;
    }

    /**
     * Indexes task letters; a task dead-lettered before keeps its row (and replay count) with the
     * new failure, and stays parked if it was parked meanwhile. Returns ids by key.
     */
    static Map<String, Long> upsertTaskLetters(Connection conn, List<NewDeadLetter> letters) throws SQLException {
        Map<String, Long> ids = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_dead_letter AS d (letter_key, reason, job_id, task_id, task_name, processor, attempts, error_class, error_message,
                                                     stack_trace, executor_id, first_failed_at, failed_at, original_partition, original_offset,
                                                     owner_partition)
                SELECT * FROM unnest(?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[],
                                     ?::text[], ?::timestamptz[], ?::timestamptz[], ?::int[], ?::int8[], ?::int[])
                ON CONFLICT (letter_key) DO UPDATE SET
                    reason = excluded.reason, state = CASE WHEN d.state = 'PARKED' THEN 'PARKED' ELSE 'DEAD' END, attempts = excluded.attempts, error_class = excluded.error_class,
                    error_message = excluded.error_message, stack_trace = excluded.stack_trace, executor_id = excluded.executor_id,
                    failed_at = excluded.failed_at, original_partition = excluded.original_partition, original_offset = excluded.original_offset
                RETURNING letter_key, id""")) {
            ps.setArray(1, conn.createArrayOf("text", letters.stream().map(l -> taskKey(l.task().taskId())).toArray()));
            ps.setArray(2, conn.createArrayOf("text", letters.stream().map(NewDeadLetter::reason).toArray()));
            ps.setArray(3, conn.createArrayOf("uuid", letters.stream().map(l -> l.job().jobId()).toArray()));
            ps.setArray(4, conn.createArrayOf("uuid", letters.stream().map(l -> l.task().taskId()).toArray()));
            ps.setArray(5, conn.createArrayOf("text", letters.stream().map(l -> l.task().taskName()).toArray()));
            ps.setArray(6, conn.createArrayOf("text", letters.stream().map(l -> l.job().processor()).toArray()));
            ps.setArray(7, conn.createArrayOf("int4", letters.stream().map(l -> l.attempt() + 1).toArray()));
            ps.setArray(8, conn.createArrayOf("text", letters.stream().map(l -> l.failure().errorClass()).toArray()));
            ps.setArray(9, conn.createArrayOf("text", letters.stream().map(l -> l.failure().message()).toArray()));
            ps.setArray(10, conn.createArrayOf("text", letters.stream().map(l -> l.failure().stackTrace()).toArray()));
            ps.setArray(11, conn.createArrayOf("text", letters.stream().map(NewDeadLetter::executorId).toArray()));
            ps.setArray(12, conn.createArrayOf("timestamptz", letters.stream().map(l -> Timestamp.from(l.firstFailedAt())).toArray()));
            ps.setArray(13, conn.createArrayOf("timestamptz", letters.stream().map(l -> Timestamp.from(l.failedAt())).toArray()));
            ps.setArray(14, conn.createArrayOf("int4", letters.stream().map(l -> l.failure().sourcePartition() < 0 ? null : l.failure().sourcePartition()).toArray()));
            ps.setArray(15, conn.createArrayOf("int8", letters.stream().map(l -> l.failure().sourceOffset() < 0 ? null : l.failure().sourceOffset()).toArray()));
            ps.setArray(16, conn.createArrayOf("int4", letters.stream().map(l -> l.job().ownerPartition()).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return ids;
    }

    /** Where a task letter's dead-letter record landed, and the topic its task came from. */
    public record TaskLetterPlace(UUID taskId, String originalTopic, int dltPartition, long dltOffset) {
    }

    /** A dead-lettered record that could not be read, as the dead-letter topic holds it. */
    public record UnreadableRecord(String originalTopic, int originalPartition, long originalOffset, byte[] key, byte[] value, String errorClass,
                                   String message, String stackTrace, String executorId, Instant failedAt, int dltPartition, long dltOffset) {
    }

    /** Records where task letters' dead-letter records landed (one batch). */
    public static void locateTaskLetters(Connection conn, List<TaskLetterPlace> places) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "UPDATE fanout_dead_letter SET original_topic = coalesce(original_topic, ?), dlt_partition = ?, dlt_offset = ? WHERE letter_key = ?")) {
            for (TaskLetterPlace p : places) {
                ps.setString(1, p.originalTopic());
                ps.setInt(2, p.dltPartition());
                ps.setLong(3, p.dltOffset());
                ps.setString(4, taskKey(p.taskId()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Indexes dead-lettered records that could not be read (one batch; each once, however often it is consumed), owned by partition 0: they have no job. */
    public static void indexUnreadableRecords(Connection conn, List<UnreadableRecord> records) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_dead_letter (letter_key, reason, error_class, error_message, stack_trace, executor_id, first_failed_at, failed_at,
                                                original_topic, original_partition, original_offset, record_key, record_value, dlt_partition, dlt_offset,
                                                owner_partition)
                VALUES (?, 'POISON', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                ON CONFLICT (letter_key) DO NOTHING""")) {
            for (UnreadableRecord r : records) {
                ps.setString(1, r.originalTopic() == null ? "dlt:" + r.dltPartition() + "@" + r.dltOffset()
                        : recordKey(r.originalTopic(), r.originalPartition(), r.originalOffset()));
                ps.setString(2, r.errorClass() == null ? "unknown" : r.errorClass());
                ps.setString(3, r.message());
                ps.setString(4, r.stackTrace());
                ps.setString(5, r.executorId());
                ps.setTimestamp(6, Timestamp.from(r.failedAt()));
                ps.setTimestamp(7, Timestamp.from(r.failedAt()));
                ps.setString(8, r.originalTopic());
                ps.setObject(9, r.originalPartition() < 0 ? null : r.originalPartition());
                ps.setObject(10, r.originalOffset() < 0 ? null : r.originalOffset());
                ps.setBytes(11, r.key());
                ps.setBytes(12, r.value());
                ps.setInt(13, r.dltPartition());
                ps.setLong(14, r.dltOffset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** These letters as they stand; those that do not exist are missing. */
    public static Map<Long, DeadLetter> read(Connection conn, Collection<Long> ids) throws SQLException {
        return byId(conn, ids, "");
    }

    /** Locks these letters for a replay or a park, in id order; those that do not exist are missing. */
    public static Map<Long, DeadLetter> lock(Connection conn, Collection<Long> ids) throws SQLException {
        return byId(conn, ids, " FOR UPDATE");
    }

    private static Map<Long, DeadLetter> byId(Connection conn, Collection<Long> ids, String lock) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + LetterQueries.COLUMNS + " FROM fanout_dead_letter WHERE id = ANY (?) ORDER BY id" + lock)) {
            ps.setArray(1, conn.createArrayOf("int8", ids.toArray()));
            Map<Long, DeadLetter> found = new LinkedHashMap<>();
            LetterQueries.letters(ps).forEach(l -> found.put(l.id(), l));
            return found;
        }
    }

    /** Up to {@code limit} waiting letters of these partitions that have had {@code maxReplays} replays or more: the sweeper parks them. */
    public static List<Long> exhausted(Connection conn, Collection<Integer> partitions, int maxReplays, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT id FROM fanout_dead_letter WHERE owner_partition = ANY (?) AND state = 'DEAD' "
                + "AND replay_count >= ? ORDER BY id LIMIT ?")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(2, maxReplays);
            ps.setInt(3, limit);
            return ids(ps);
        }
    }

    /**
     * Up to {@code limit} waiting letters of these partitions the sweeper replays: fewer than
     * {@code maxReplays} replays, indexed at least {@code minAge} ago (not the letter's own
     * failed-at, which a letter written by an executor claims itself), of an allowed error class (all
     * when none is listed), and replayable at all: an unreadable record only back to a task or the
     * status topic, a task letter only while its task is failed and its job neither cancelled nor
     * past its deadline (else it would be refused on every sweep and, enough of them, hold every
     * other letter back for good).
     */
    public static List<Long> dueForReplay(Connection conn, Collection<Integer> partitions, int maxReplays, Duration minAge, List<String> errorClasses,
                                          String statusTopic, String tasksTopic, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT id FROM fanout_dead_letter d WHERE owner_partition = ANY (?) AND state = 'DEAD' AND replay_count < ?
                  AND created_at <= now() - ? * interval '1 millisecond' AND (cardinality(?::text[]) = 0 OR error_class = ANY (?::text[]))
                  AND (task_id IS NOT NULL OR original_topic = ? OR original_topic = ? OR starts_with(original_topic, ?))
                  AND (task_id IS NULL OR EXISTS (SELECT 1 FROM fanout_task t JOIN fanout_job j ON j.job_id = t.job_id
                       WHERE t.job_id = d.job_id AND t.task_id = d.task_id AND t.state IN ('FAILED', 'TIMED_OUT') AND j.state <> 'CANCELLED'
                         AND (j.deadline_at IS NULL OR j.deadline_at > now())))
                ORDER BY id LIMIT ?""")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(2, maxReplays);
            ps.setLong(3, minAge.toMillis());
            ps.setArray(4, conn.createArrayOf("text", errorClasses.toArray()));
            ps.setArray(5, conn.createArrayOf("text", errorClasses.toArray()));
            ps.setString(6, statusTopic);
            ps.setString(7, tasksTopic);
            ps.setString(8, tasksTopic + ".");
            ps.setInt(9, limit);
            return ids(ps);
        }
    }

    private static List<Long> ids(PreparedStatement ps) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** The original key and value of a letter for an unreadable record. */
    public static byte[][] recordBytes(Connection conn, long id) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT record_key, record_value FROM fanout_dead_letter WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new byte[][] {rs.getBytes(1), rs.getBytes(2)} : null;
            }
        }
    }

    public static void setState(Connection conn, long id, String state, boolean replayed) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_dead_letter SET state = ?, "
                + "replay_count = replay_count + ?, last_replayed_at = CASE WHEN ? THEN now() ELSE last_replayed_at END WHERE id = ?")) {
            ps.setString(1, state);
            ps.setInt(2, replayed ? 1 : 0);
            ps.setBoolean(3, replayed);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    public static void log(Connection conn, long id, String action, String actor, String outcome) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_replay (letter_id, action, actor, outcome) VALUES (?, ?, ?, ?)")) {
            ps.setLong(1, id);
            ps.setString(2, action);
            ps.setString(3, actor);
            ps.setString(4, outcome);
            ps.executeUpdate();
        }
    }
}
