package io.fanout.coordinator.store;

import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Task rows in bulk: inserts and status changes, a COPY and a statement or two per batch, never a
 * round trip per task. The waiting queue is {@link WaitingTasks}, the retry queue {@link RetryQueue}. Inserting
 * is idempotent (a re-sent map stores nothing twice) and applying statuses is monotonic (a stale
 * or duplicate event changes nothing, and a task's completion is counted once, in the same
 * statement that records it).
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
            SELECT job_id, count(*) AS n, count(*) FILTER (WHERE state = 'DISPATCHED') AS sent FROM ins GROUP BY job_id
            """;

    /**
     * A status applies to the task's current attempt only, and only moves its rank up (a new
     * attempt is started by the coordinator, never by an event). So a row updated into a terminal
     * state was not terminal before: counting the updated rows counts each completion once. A
     * failure the policy retries starts the next attempt (RETRY_WAIT, due at {@code retry_at}) and
     * counts nothing; a failure it does not retry is counted and staged as a dead letter. An attempt
     * an executor handed back unstarted (its job suspended) goes back to CREATED, keeping its number
     * (it never ran, so it uses up no retry), and waits in the job's held queue until the job is
     * resumed; only a dispatched or received one can be handed back, so a duplicate of the hand-back
     * finds it CREATED and changes nothing. No report changes a CREATED task: it was never sent, or
     * it was handed back (and is no longer counted in flight), so the report comes from a copy of its
     * record that no longer counts (issue S7: its success was counted, and in_flight lowered twice).
     */
    private static final String APPLY_STAGE = """
            WITH upd AS (
                UPDATE fanout_task t SET
                    state = CASE WHEN s.state = 'SUSPENDED' THEN 'CREATED' WHEN s.retry_at IS NULL THEN s.state ELSE 'RETRY_WAIT' END,
                    attempt = t.attempt + CASE WHEN s.retry_at IS NULL THEN 0 ELSE 1 END,
                    due_at = s.retry_at,
                    executor_id = coalesce(s.executor_id, t.executor_id),
                    received_at = coalesce(s.received_at, t.received_at),
                    started_at = coalesce(s.started_at, t.started_at),
                    finished_at = coalesce(s.finished_at, t.finished_at),
                    result = s.result,
                    result_json = s.result_json,
                    error_class = coalesce(s.error_class, t.error_class),
                    error_message = CASE WHEN s.error_class IS NULL THEN t.error_message ELSE s.error_message END,
                    first_failed_at = CASE WHEN s.error_class IS NULL THEN t.first_failed_at ELSE coalesce(t.first_failed_at, s.finished_at) END
                FROM fanout_status_stage s
                WHERE t.job_id = s.job_id AND t.task_id = s.task_id AND t.attempt = s.attempt AND s.rank > fanout_state_rank(t.state)
                  AND t.state <> 'CREATED'
                  AND (s.state <> 'SUSPENDED' OR t.state IN ('DISPATCHED', 'RECEIVED') AND t.kind <> %d)
                RETURNING t.job_id, t.task_id, s.attempt, s.state, s.reduce_required, s.retry_at, s.letter_reason, s.executor_id, s.error_class,
                          s.error_message, s.stack_trace, s.finished_at, s.source_partition, s.source_offset),
            letters AS (
                INSERT INTO fanout_letter_stage
                SELECT job_id, task_id, attempt, letter_reason, executor_id, error_class, error_message, stack_trace, finished_at, source_partition,
                       source_offset
                FROM upd WHERE letter_reason IS NOT NULL),
            returned AS (
                INSERT INTO fanout_task_held (job_id, task_id) SELECT job_id, task_id FROM upd WHERE state = 'SUSPENDED' ORDER BY task_id),
            resolved AS (
                UPDATE fanout_dead_letter d SET state = 'RESOLVED'
                FROM upd WHERE upd.attempt > 0 AND upd.state = 'SUCCEEDED' AND d.letter_key = 'task:' || upd.task_id AND d.state IN ('REPLAYED', 'PARKED')),
            counts AS (
                SELECT job_id,
                       count(*) FILTER (WHERE state = 'SUCCEEDED') AS succeeded,
                       count(*) FILTER (WHERE retry_at IS NULL AND state IN ('FAILED', 'TIMED_OUT')) AS failed,
                       count(*) FILTER (WHERE state IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SUSPENDED')) AS finished,
                       bool_or(reduce_required) AS reduce_required
                FROM upd GROUP BY job_id)
            SELECT job_id, succeeded, failed, finished, reduce_required FROM counts WHERE finished > 0
            """.formatted(TaskKind.REDUCE.code());

    /** The letters a batch staged, with what their dead-letter records need from the task and the job. */
    private static final String STAGED_LETTERS = """
            SELECT l.job_id, l.task_id, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, l.attempt, l.reason, l.executor_id,
                   l.error_class, l.error_message, l.stack_trace, t.first_failed_at, l.failed_at, l.source_partition, l.source_offset,
                   j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count,\s""" + JobStore.COLUMNS_OF_J + ", j.reduce_feed" + """

            FROM fanout_letter_stage l
            JOIN fanout_task t ON t.job_id = l.job_id AND t.task_id = l.task_id
            JOIN fanout_job j ON j.job_id = l.job_id
            """;

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
     * Stores new tasks as DISPATCHED and adds them to their jobs' totals. The fast path copies
     * them straight into the table; if any already exists (a map re-sent after a crash), the copy
     * is undone and they go through the staging table, which skips what exists.
     */
    public void insert(Connection conn, Collection<NewTask> tasks) throws SQLException {
        insert(conn, tasks, Set.of());
    }

    /**
     * As {@link #insert(Connection, Collection)}; the tasks in {@code held} (their job is suspended or
     * at its parallelism) are stored CREATED and queued, in order, for {@link #release}.
     */
    public void insert(Connection conn, Collection<NewTask> tasks, Set<UUID> held) throws SQLException {
        if (tasks.isEmpty()) {
            return;
        }
        BinaryCopy copy = new BinaryCopy();
        Map<UUID, Long> perJob = new HashMap<>();
        Map<UUID, Long> sentPerJob = new HashMap<>();
        List<NewTask> queued = new ArrayList<>();
        for (NewTask t : tasks) {
            boolean hold = held.contains(t.taskId());
            copy.row(8).uuid(t.jobId()).uuid(t.taskId()).uuid(t.parentId()).int2(t.kind().code()).text(t.taskName())
                    .text((hold ? TaskState.CREATED : TaskState.DISPATCHED).name()).int2(t.payloadFormat().code()).bytea(t.payload());
            perJob.merge(t.jobId(), 1L, Long::sum);
            sentPerJob.merge(t.jobId(), hold ? 0L : 1L, Long::sum);
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
            List<JobCounters.Delta> added = new ArrayList<>();
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(INSERT_FROM_STAGE)) {
                while (rs.next()) {
                    added.add(new JobCounters.Delta(rs.getObject(1, UUID.class), rs.getLong(2), rs.getLong(3), 0, 0, false));
                }
            }
            JobCounters.add(conn, added);
            return;
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
        JobCounters.add(conn, perJob.keySet().stream().map(id -> new JobCounters.Delta(id, perJob.get(id), sentPerJob.get(id), 0, 0, false)).toList());
    }

    /** Stages a batch's net status changes (one COPY); {@link #applyStatuses} applies them. */
    public void stageStatuses(Connection conn, Collection<StagedStatus> statuses) throws SQLException {
        if (statuses.isEmpty()) {
            return;
        }
        BinaryCopy copy = new BinaryCopy();
        for (StagedStatus s : statuses) {
            Failure f = s.failure();
            copy.row(19).uuid(s.jobId()).uuid(s.taskId()).int4(s.attempt()).text(s.state().name()).int4(s.state().rank())
                    .text(s.executorId()).timestamp(s.receivedAt()).timestamp(s.startedAt()).timestamp(s.finishedAt())
                    .bytea(s.result()).text(s.resultJson()).text(f == null ? null : f.errorClass()).text(f == null ? null : f.message())
                    .bool(s.reduceRequired()).timestamp(s.retryAt()).text(s.letterReason()).text(f == null ? null : f.stackTrace())
                    .int4(f == null ? -1 : f.sourcePartition()).int8(f == null ? -1 : f.sourceOffset());
        }
        copy.copyInto(conn, "fanout_status_stage (job_id, task_id, attempt, state, rank, executor_id, received_at, started_at, "
                + "finished_at, result, result_json, error_class, error_message, reduce_required, retry_at, letter_reason, stack_trace, "
                + "source_partition, source_offset)");
    }

    /**
     * Indexes the dead letters the last {@link #applyStatuses} staged (a task dead-lettered again
     * after a replay keeps its row and replay count) and returns them for their dead-letter records.
     */
    public List<NewDeadLetter> indexStagedLetters(Connection conn) throws SQLException {
        List<NewDeadLetter> letters = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(STAGED_LETTERS)) {
            while (rs.next()) {
                JobRow job = JobStore.readJob(rs, 22);
                NewTask task = Rows.task(rs, job.jobId(), rs.getObject(2, UUID.class), 3);
                ReduceInputRange range = Rows.range(rs);
                letters.add(new NewDeadLetter(0, job, task, rs.getInt(8), rs.getString(9), rs.getString(10),
                        new Failure(rs.getString(11), rs.getString(12), rs.getString(13), false, -1, rs.getInt(16), rs.getLong(17)),
                        rs.getTimestamp(14).toInstant(), rs.getTimestamp(15).toInstant(), task.kind() == TaskKind.REDUCE ? range : null));
            }
        }
        if (letters.isEmpty()) {
            return letters;
        }
        Map<String, Long> ids = DeadLetterStore.upsertTaskLetters(conn, letters);
        return letters.stream().map(l -> l.withId(ids.get(DeadLetterStore.taskKey(l.task().taskId())))).toList();
    }

    /** Applies the staged statuses and counts what finished in their jobs' counters; returns the jobs whose counters moved. */
    public Set<UUID> applyStatuses(Connection conn) throws SQLException {
        List<JobCounters.Delta> finished = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(APPLY_STAGE)) {
            while (rs.next()) {
                finished.add(new JobCounters.Delta(rs.getObject(1, UUID.class), 0, -rs.getLong(4), rs.getLong(2), rs.getLong(3), rs.getBoolean(5)));
            }
        }
        JobCounters.add(conn, finished);
        Set<UUID> moved = new HashSet<>();
        finished.forEach(d -> moved.add(d.jobId()));
        return moved;
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
