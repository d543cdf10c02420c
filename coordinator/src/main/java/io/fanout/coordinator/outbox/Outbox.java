package io.fanout.coordinator.outbox;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The outbox table: what committed transactions still owe Kafka. A row is written in the
 * transaction that decides its effects and deleted ({@link #settle}) once the brokers have every
 * record; a row that outlives its sender is found by {@link #owed} and re-driven by the
 * {@link Reconciler}.
 */
public final class Outbox {

    /** One outbox row. */
    public record Entry(long id, int partition, List<UUID> taskJobs, List<UUID> taskIds, List<UUID> finalJobs, List<Long> letters, List<UUID> finalRuns,
                        List<Long> letterParks, List<Long> letterReturns) {
    }

    /**
     * Writes what {@code owed} names, a row per partition, in one statement (one round trip however
     * many partitions a batch touched); returns the rows' ids (none when nothing is owed).
     */
    public List<Long> record(Connection conn, Owed owed) throws SQLException {
        List<Long> ids = new ArrayList<>();
        if (owed.isEmpty()) {
            return ids;
        }
        List<Row> rows = owed.byPartition().entrySet().stream().map(e -> Row.of(e.getKey(), e.getValue())).toList();
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_outbox (owner_partition, task_jobs, task_runs, final_jobs, letters, final_runs, letter_parks, letter_returns)
                SELECT p, tj::uuid[], tr, fj::uuid[], l::int8[], fr::uuid[], lp::int8[], lr::int8[]
                FROM unnest(?::int4[], ?::text[], ?::bytea[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS v(p, tj, tr, fj, l, fr, lp, lr)
                RETURNING id""")) {
            ps.setArray(1, conn.createArrayOf("int4", rows.stream().map(Row::partition).toArray()));
            ps.setArray(2, conn.createArrayOf("text", rows.stream().map(Row::taskJobs).toArray()));
            ps.setObject(3, rows.stream().map(Row::taskRuns).toArray(byte[][]::new));
            ps.setArray(4, conn.createArrayOf("text", rows.stream().map(Row::finalJobs).toArray()));
            ps.setArray(5, conn.createArrayOf("text", rows.stream().map(Row::letters).toArray()));
            ps.setArray(6, conn.createArrayOf("text", rows.stream().map(Row::finalRuns).toArray()));
            ps.setArray(7, conn.createArrayOf("text", rows.stream().map(Row::letterParks).toArray()));
            ps.setArray(8, conn.createArrayOf("text", rows.stream().map(Row::letterReturns).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids;
    }

    /**
     * One partition's share as the columns of its outbox row: the jobs of its tasks (distinct:
     * retention keeps a job an outbox row names), its tasks as runs, and the rest; lists as array
     * literals (text), so that a statement can take many rows' ragged lists at once.
     */
    private record Row(int partition, String taskJobs, byte[] taskRuns, String finalJobs, String letters, String finalRuns, String letterParks,
                       String letterReturns) {

        static Row of(int partition, Owed.Effects x) {
            return new Row(partition, literal(x.taskJobs.stream().distinct().toList()), TaskRuns.encode(x.taskJobs, x.taskIds),
                    literal(x.finalJobs.stream().distinct().toList()), literal(x.letters), literal(x.finalRuns), literal(x.letterParks),
                    literal(x.letterReturns));
        }

        /** An array literal of ids or numbers (neither needs quoting). */
        private static String literal(List<?> values) {
            StringBuilder b = new StringBuilder(2 + values.size() * 37).append('{');
            for (int i = 0; i < values.size(); i++) {
                b.append(i == 0 ? "" : ",").append(values.get(i));
            }
            return b.append('}').toString();
        }
    }

    /**
     * The row owes only {@code rest} now (what of it could not be sent), which names the row's own
     * partition or nothing.
     */
    public void narrow(Connection conn, long id, Owed rest) throws SQLException {
        if (rest.byPartition().size() != 1) {
            throw new IllegalArgumentException("an outbox row owes effects of its own partition only");
        }
        Map.Entry<Integer, Owed.Effects> e = rest.byPartition().entrySet().iterator().next();
        Row row = Row.of(e.getKey(), e.getValue());
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_outbox SET task_jobs = ?::text::uuid[], task_runs = ?, task_ids = '{}', "
                + "final_jobs = ?::text::uuid[], letters = ?::text::int8[], final_runs = ?::text::uuid[], letter_parks = ?::text::int8[], "
                + "letter_returns = ?::text::int8[] WHERE id = ?")) {
            ps.setString(1, row.taskJobs());
            ps.setBytes(2, row.taskRuns());
            ps.setString(3, row.finalJobs());
            ps.setString(4, row.letters());
            ps.setString(5, row.finalRuns());
            ps.setString(6, row.letterParks());
            ps.setString(7, row.letterReturns());
            ps.setLong(8, id);
            ps.executeUpdate();
        }
    }

    /** The brokers have every record of these rows: they are owed no more. */
    public void settle(Connection conn, Collection<Long> ids) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = conn.prepareStatement("DELETE FROM fanout_outbox WHERE id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("int8", ids.toArray()));
            ps.executeUpdate();
        }
    }

    /**
     * Rows of these partitions at least {@code minAge} old, oldest first, leaving out {@code excluded}
     * (the rows whose records this process is still sending).
     */
    public List<Entry> owed(Connection conn, Collection<Integer> partitions, Duration minAge, Collection<Long> excluded, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT id, owner_partition, task_jobs, task_ids, task_runs, final_jobs, letters, final_runs, letter_parks, letter_returns FROM fanout_outbox
                WHERE owner_partition = ANY (?) AND created_at <= now() - ? * interval '1 millisecond' AND NOT (id = ANY (?))
                ORDER BY id LIMIT ?""")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            ps.setLong(2, minAge.toMillis());
            ps.setArray(3, conn.createArrayOf("int8", excluded.toArray()));
            ps.setInt(4, limit);
            List<Entry> entries = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<UUID> taskJobs = new ArrayList<>();
                    List<UUID> taskIds = new ArrayList<>(list(rs.getArray("task_ids"), UUID.class));
                    if (taskIds.isEmpty()) {
                        TaskRuns.decode(rs.getBytes("task_runs"), taskJobs, taskIds);
                    } else { // written before task runs: a job per task
                        taskJobs.addAll(list(rs.getArray("task_jobs"), UUID.class));
                    }
                    entries.add(new Entry(rs.getLong("id"), rs.getInt("owner_partition"), taskJobs, taskIds,
                            list(rs.getArray("final_jobs"), UUID.class), list(rs.getArray("letters"), Long.class),
                            list(rs.getArray("final_runs"), UUID.class), list(rs.getArray("letter_parks"), Long.class),
                            list(rs.getArray("letter_returns"), Long.class)));
                }
            }
            return entries;
        }
    }

    /** Seconds since the oldest row of {@code partitions} was written (0 when none is owed): the first row of each partition by its index. */
    public double oldestAgeSeconds(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT coalesce(extract(epoch FROM now() - min(first.created_at)), 0) AS age FROM unnest(?::int4[]) AS p(partition)
                CROSS JOIN LATERAL (SELECT created_at FROM fanout_outbox o WHERE o.owner_partition = p.partition ORDER BY id LIMIT 1) AS first""")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Math.max(0, rs.getDouble("age"));
            }
        }
    }

    private static <T> List<T> list(Array a, Class<T> type) throws SQLException {
        return Arrays.stream((Object[]) a.getArray()).map(type::cast).toList();
    }
}
