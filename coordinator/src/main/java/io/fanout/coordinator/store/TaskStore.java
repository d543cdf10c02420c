package io.fanout.coordinator.store;

import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Task rows in bulk: inserts and reads, a COPY and a statement or two per batch, never a round
 * trip per task. Inserting is idempotent (a re-sent map stores nothing twice). Status events are
 * applied by {@link TaskStatuses}, the waiting queue is {@link WaitingTasks}, the retry queue
 * {@link RetryQueue}.
 */
public final class TaskStore {

    private static final String TASK_COLUMNS = "job_id, task_id, parent_id, kind, task_name, state, payload_format, payload";
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String UNFINISHED = TaskLifecycle.UNFINISHED.stream().map(st -> "'" + st.name() + "'").collect(Collectors.joining(", "));

    private static final String INSERT_FROM_STAGE = """
            WITH ins AS (
                INSERT INTO fanout_task (job_id, task_id, parent_id, kind, task_name, state, payload_format, payload)
                SELECT job_id, task_id, parent_id, kind, task_name, state, payload_format, payload FROM fanout_task_stage
                ON CONFLICT DO NOTHING
                RETURNING job_id, task_id, state),
            held AS (INSERT INTO fanout_task_held (job_id, task_id) SELECT job_id, task_id FROM ins WHERE state = 'CREATED')
            SELECT job_id, task_id, state FROM ins
            """;

    /**
     * A few tasks (the latency path: a job's root, a small map) in one prepared statement, which
     * skips the ones stored before and queues the held ones in order; more are copied.
     */
    private static final String INSERT_FROM_ARRAYS = insertFromArraysSql("");
    /** {@link #INSERT_FROM_ARRAYS} for tasks of one job, which also adds to its counters (the job id the last parameter). */
    private static final String INSERT_FROM_ARRAYS_ONE_JOB = insertFromArraysSql(JobCounters.oneJobUpdate("""
            (SELECT count(*) AS total, count(*) FILTER (WHERE state = 'DISPATCHED') AS in_flight, 0 AS succeeded, 0 AS failed,
                    false AS reduce_required
             FROM ins HAVING count(*) > 0)"""));
    private static final int ARRAY_COLUMNS = 8;

    private static String insertFromArraysSql(String counted) {
        return """
            WITH v AS (
                SELECT * FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::int2[], ?::text[], ?::text[], ?::int2[], ?::bytea[]) WITH ORDINALITY
                    AS v(job_id, task_id, parent_id, kind, task_name, state, payload_format, payload, o)),
            ins AS (
                INSERT INTO fanout_task (job_id, task_id, parent_id, kind, task_name, state, payload_format, payload)
                SELECT job_id, task_id, parent_id, kind, task_name, state, payload_format, payload FROM v
                ON CONFLICT DO NOTHING
                RETURNING job_id, task_id, state),
            held AS (
                INSERT INTO fanout_task_held (job_id, task_id)
                SELECT v.job_id, v.task_id FROM ins JOIN v ON v.job_id = ins.job_id AND v.task_id = ins.task_id WHERE ins.state = 'CREATED' ORDER BY v.o)%s
            SELECT job_id, task_id, state FROM ins
            """.formatted(counted);
    }

    /** Creates this session's staging tables; call once per connection. */
    public void prepare(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS fanout_task_stage "
                    + "(job_id uuid, task_id uuid, parent_id uuid, kind smallint, task_name text, state text, payload_format smallint, payload bytea) "
                    + "ON COMMIT DELETE ROWS");
            st.execute("CREATE TEMP TABLE IF NOT EXISTS fanout_status_stage "
                    + "(job_id uuid, task_id uuid, attempt int, state text, rank int, executor_id text, received_at timestamptz, "
                    + "started_at timestamptz, finished_at timestamptz, result bytea, result_json text, error_class text, error_message text, "
                    + "reduce_required boolean, retry_at timestamptz, letter_reason text, stack_trace text, source_partition int, "
                    + "source_offset bigint) "
                    + "ON COMMIT DELETE ROWS");
            st.execute("CREATE TEMP TABLE IF NOT EXISTS fanout_letter_stage "
                    + "(job_id uuid, task_id uuid, attempt int, reason text, executor_id text, error_class text, error_message text, stack_trace text, "
                    + "failed_at timestamptz, source_partition int, source_offset bigint) "
                    + "ON COMMIT DELETE ROWS");
        }
    }

    /**
     * Stores new tasks as DISPATCHED and adds them to their jobs' totals; returns the ids of those
     * stored now. The fast path copies them straight into the table; if any already exists (a map
     * re-sent after a crash), the copy is undone and they go through the staging table, which skips
     * what exists.
     */
    public Set<UUID> insert(Connection conn, Collection<NewTask> tasks) throws SQLException {
        return insert(conn, tasks, Set.of());
    }

    /**
     * As {@link #insert(Connection, Collection)}; the tasks in {@code held} (their job is suspended or
     * at its parallelism) are stored CREATED and queued, in order, for {@link #release}.
     */
    public Set<UUID> insert(Connection conn, Collection<NewTask> tasks, Set<UUID> held) throws SQLException {
        if (tasks.isEmpty()) {
            return Set.of();
        }
        if (tasks.size() <= ColumnArrays.UP_TO) {
            return insertFromArrays(conn, tasks, held);
        }
        BinaryCopy copy = new BinaryCopy();
        Stored copied = Stored.none();
        List<NewTask> queued = new ArrayList<>();
        for (NewTask t : tasks) {
            boolean hold = held.contains(t.taskId());
            copy.row(8).uuid(t.jobId()).uuid(t.taskId()).uuid(t.parentId()).int2(t.kind().code()).text(t.taskName())
                    .text((hold ? TaskState.CREATED : TaskState.DISPATCHED).name()).int2(t.payloadFormat().code()).bytea(t.payload());
            copied.add(t.jobId(), t.taskId(), !hold);
            if (hold) {
                queued.add(t);
            }
        }
        Savepoint beforeCopy = conn.setSavepoint();
        try {
            copy.copyInto(conn, "fanout_task (" + TASK_COLUMNS + ")");
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            conn.rollback(beforeCopy);
            copy.copyInto(conn, "fanout_task_stage (" + TASK_COLUMNS + ")");
            Stored stored;
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(INSERT_FROM_STAGE)) {
                stored = Stored.read(rs);
            }
            JobCounters.add(conn, stored.added());
            return stored.ids;
        }
        conn.releaseSavepoint(beforeCopy);
        if (!queued.isEmpty()) {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_task_held (job_id, task_id) "
                    + "SELECT j, t FROM unnest(?::uuid[], ?::uuid[]) WITH ORDINALITY AS v(j, t, o) ORDER BY o")) {
                ps.setArray(1, conn.createArrayOf("uuid", queued.stream().map(NewTask::jobId).toArray()));
                ps.setArray(2, conn.createArrayOf("uuid", queued.stream().map(NewTask::taskId).toArray()));
                ps.executeUpdate();
            }
        }
        JobCounters.add(conn, copied.added());
        return copied.ids;
    }

    /** The tasks an insert stored (rows of job id, task id and state), and how many of each job, dispatched or not. */
    private record Stored(Set<UUID> ids, Map<UUID, Long> perJob, Map<UUID, Long> sentPerJob) {

        static Stored none() {
            return new Stored(new HashSet<>(), new HashMap<>(), new HashMap<>());
        }

        /** Reads the rows an insert returned: job id, task id, state. */
        static Stored read(ResultSet rs) throws SQLException {
            Stored s = none();
            while (rs.next()) {
                s.add(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), TaskState.DISPATCHED.name().equals(rs.getString(3)));
            }
            return s;
        }

        void add(UUID job, UUID task, boolean dispatched) {
            ids.add(task);
            perJob.merge(job, 1L, Long::sum);
            sentPerJob.merge(job, dispatched ? 1L : 0L, Long::sum);
        }

        List<JobCounters.Delta> added() {
            return perJob.keySet().stream().map(id -> new JobCounters.Delta(id, perJob.get(id), sentPerJob.get(id), 0, 0, false)).toList();
        }
    }

    private static Set<UUID> insertFromArrays(Connection conn, Collection<NewTask> batch, Set<UUID> held) throws SQLException {
        Map<UUID, NewTask> byId = new LinkedHashMap<>(); // a map re-sent within the batch: each task once
        batch.forEach(t -> byId.putIfAbsent(t.taskId(), t));
        ColumnArrays rows = new ColumnArrays(byId.size(), "uuid", "uuid", "uuid", "int2", "text", "text", "int2", "bytea"); // ARRAY_COLUMNS
        for (NewTask t : byId.values()) {
            rows.row(t.jobId(), t.taskId(), t.parentId(), (short) t.kind().code(), t.taskName(),
                    (held.contains(t.taskId()) ? TaskState.CREATED : TaskState.DISPATCHED).name(), (short) t.payloadFormat().code(), t.payload());
        }
        boolean oneJob = JobCounters.oneJob(byId.values(), NewTask::jobId);
        Stored stored;
        try (PreparedStatement ps = conn.prepareStatement(oneJob ? INSERT_FROM_ARRAYS_ONE_JOB : INSERT_FROM_ARRAYS)) {
            rows.bind(conn, ps);
            if (oneJob) {
                ps.setObject(ARRAY_COLUMNS + 1, byId.values().iterator().next().jobId());
            }
            try (ResultSet rs = ps.executeQuery()) {
                stored = Stored.read(rs);
            }
        }
        if (!oneJob) { // else counted by the statement
            JobCounters.add(conn, stored.added());
        }
        return stored.ids;
    }

    /** Makes a task just stored start at this attempt rather than the first. */
    public void startAt(Connection conn, NewTask task, int attempt) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_task SET attempt = ? WHERE job_id = ? AND task_id = ?")) {
            ps.setInt(1, attempt);
            ps.setObject(2, task.jobId());
            ps.setObject(3, task.taskId());
            ps.executeUpdate();
        }
    }

    /** A task's state and current attempt. */
    public record Current(TaskState state, int attempt) {
    }

    /** A task's state and attempt, or null if it is not stored. */
    public Current current(Connection conn, UUID jobId, UUID taskId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT state, attempt FROM fanout_task WHERE job_id = ? AND task_id = ?")) {
            ps.setObject(1, jobId);
            ps.setObject(2, taskId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Current(TaskState.valueOf(rs.getString(1)), rs.getInt(2)) : null;
            }
        }
    }

    /** Of these tasks, those still DISPATCHED in an open job, each as its current attempt's record. */
    public List<TaskDispatch> stillDispatched(Connection conn, List<UUID> jobIds, List<UUID> taskIds) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + Dispatches.COLUMNS + " FROM unnest(?::uuid[], ?::uuid[]) AS v(job_id, task_id) "
                + "JOIN fanout_task t ON t.job_id = v.job_id AND t.task_id = v.task_id JOIN fanout_job j ON j.job_id = t.job_id "
                + "WHERE t.state = 'DISPATCHED' AND j.state IN (" + JobStore.OPEN + ")")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            ps.setArray(2, conn.createArrayOf("uuid", taskIds.toArray()));
            return Dispatches.read(ps);
        }
    }

    /** One attempt of a task. */
    public record Attempt(UUID jobId, UUID taskId, int attempt) {
    }

    /** Up to {@code limit} tasks DISPATCHED in the running or reducing jobs of {@code pool} owned by {@code partitions}, first by job and task id. */
    public List<Attempt> dispatchedInPool(Connection conn, Collection<Integer> partitions, String pool, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT t.job_id, t.task_id, t.attempt FROM fanout_job j JOIN fanout_task t ON t.job_id = j.job_id "
                + "WHERE j.state IN ('RUNNING', 'REDUCING') AND j.in_flight > 0 AND j.pool = ? AND j.owner_partition = ANY (?) AND t.state = 'DISPATCHED' "
                + "ORDER BY t.job_id, t.task_id LIMIT ?")) {
            ps.setString(1, pool);
            ps.setArray(2, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(3, limit);
            List<Attempt> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Attempt(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getInt(3)));
                }
            }
            return out;
        }
    }

    /** Of these handed-back attempts, the tasks the apply held again (CREATED at that attempt). */
    public List<UUID> heldAgain(Connection conn, List<StagedStatus> handedBack) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT t.task_id FROM fanout_task t "
                + "JOIN unnest(?::uuid[], ?::uuid[], ?::int[]) AS h (job_id, task_id, attempt) "
                + "ON t.job_id = h.job_id AND t.task_id = h.task_id AND t.attempt = h.attempt WHERE t.state = 'CREATED'")) {
            ps.setArray(1, conn.createArrayOf("uuid", handedBack.stream().map(StagedStatus::jobId).toArray()));
            ps.setArray(2, conn.createArrayOf("uuid", handedBack.stream().map(StagedStatus::taskId).toArray()));
            ps.setArray(3, conn.createArrayOf("int4", handedBack.stream().map(StagedStatus::attempt).toArray()));
            List<UUID> held = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.add(rs.getObject(1, UUID.class));
                }
            }
            return held;
        }
    }

    /** Tasks that executors reported holding, in the open jobs owned by {@code partitions}. */
    public List<HeldTask> held(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT t.job_id, t.task_id, t.attempt, t.executor_id, j.owner_partition
                FROM fanout_job j JOIN fanout_task t ON t.job_id = j.job_id
                WHERE j.state IN (%s) AND j.owner_partition = ANY (?) AND t.state IN ('RECEIVED', 'RUNNING')""".formatted(JobStore.OPEN))) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            List<HeldTask> held = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.add(new HeldTask(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getInt(3), rs.getString(4), rs.getInt(5)));
                }
            }
            return held;
        }
    }

    /** Cancels every unfinished task of these jobs, held ones included; returns how many. */
    public int cancelUnfinished(Connection conn, Collection<UUID> jobIds) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("DELETE FROM fanout_task_held WHERE job_id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET in_flight = 0 WHERE job_id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            ps.executeUpdate(); // every attempt in flight is cancelled with the rest
        }
        TaskLifecycle.TABLE.check(TaskLifecycle.UNFINISHED, TaskState.CANCELLED);
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_task SET state = 'CANCELLED', due_at = NULL, finished_at = now() "
                + "WHERE job_id = ANY (?) AND state IN (" + UNFINISHED + ")")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            return ps.executeUpdate();
        }
    }
}
