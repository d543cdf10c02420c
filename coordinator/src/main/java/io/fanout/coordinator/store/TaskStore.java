package io.fanout.coordinator.store;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Task rows in bulk: a COPY and a statement or two per batch, never a round trip per task. Inserting
 * is idempotent (a re-sent map stores nothing twice) and applying statuses is monotonic (a stale
 * or duplicate event changes nothing, and a task's completion is counted once, in the same
 * statement that records it).
 */
public final class TaskStore {

    private static final String TASK_COLUMNS = "job_id, task_id, parent_id, kind, task_name, state, payload_format, payload";
    private static final String UNIQUE_VIOLATION = "23505";

    private static final String INSERT_FROM_STAGE = """
            WITH ins AS (
                INSERT INTO fanout_task (job_id, task_id, parent_id, kind, task_name, state, payload_format, payload)
                SELECT job_id, task_id, parent_id, kind, task_name, state, payload_format, payload FROM fanout_task_stage
                ON CONFLICT DO NOTHING
                RETURNING job_id),
            added AS (SELECT job_id, count(*) AS n FROM ins GROUP BY job_id)
            UPDATE fanout_job j SET total_tasks = j.total_tasks + added.n FROM added WHERE j.job_id = added.job_id
            """;

    /**
     * A status applies to the task's current attempt only, and only moves its rank up (a new
     * attempt is started by the coordinator, never by an event). So a row updated into a terminal
     * state was not terminal before: counting the updated rows counts each completion once.
     */
    private static final String APPLY_STAGE = """
            WITH upd AS (
                UPDATE fanout_task t SET
                    state = s.state,
                    executor_id = coalesce(s.executor_id, t.executor_id),
                    received_at = coalesce(s.received_at, t.received_at),
                    started_at = coalesce(s.started_at, t.started_at),
                    finished_at = coalesce(s.finished_at, t.finished_at),
                    result = s.result,
                    result_json = s.result_json,
                    error_class = s.error_class,
                    error_message = s.error_message
                FROM fanout_status_stage s
                WHERE t.job_id = s.job_id AND t.task_id = s.task_id AND t.attempt = s.attempt AND s.rank > fanout_state_rank(t.state)
                RETURNING t.job_id, s.state, s.reduce_required),
            counts AS (
                SELECT job_id,
                       count(*) FILTER (WHERE state = 'SUCCEEDED') AS succeeded,
                       count(*) FILTER (WHERE state = 'FAILED') AS failed,
                       bool_or(reduce_required) AS reduce_required
                FROM upd GROUP BY job_id)
            UPDATE fanout_job j SET
                succeeded_tasks = j.succeeded_tasks + counts.succeeded,
                failed_tasks = j.failed_tasks + counts.failed,
                reduce_required = j.reduce_required OR counts.reduce_required
            FROM counts
            WHERE j.job_id = counts.job_id AND (counts.succeeded > 0 OR counts.failed > 0)
            RETURNING j.job_id, j.client_key, j.processor, j.pool, j.state, j.owner_partition, j.total_tasks,
                      j.succeeded_tasks, j.failed_tasks, j.reduce_required
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
                    + "reduce_required boolean) "
                    + "ON COMMIT DELETE ROWS");
        }
    }

    /**
     * Stores new tasks as DISPATCHED and adds them to their jobs' totals. The fast path copies
     * them straight into the table; if any already exists (a map re-sent after a crash), the copy
     * is undone and they go through the staging table, which skips what exists.
     */
    public void insert(Connection conn, Collection<NewTask> tasks) throws SQLException {
        if (tasks.isEmpty()) {
            return;
        }
        BinaryCopy copy = new BinaryCopy();
        Map<UUID, Long> perJob = new HashMap<>();
        for (NewTask t : tasks) {
            copy.row(8).uuid(t.jobId()).uuid(t.taskId()).uuid(t.parentId()).int2(t.kind().code()).text(t.taskName())
                    .text(TaskState.DISPATCHED.name()).int2(t.payloadFormat().code()).bytea(t.payload());
            perJob.merge(t.jobId(), 1L, Long::sum);
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
            try (Statement st = conn.createStatement()) {
                st.executeUpdate(INSERT_FROM_STAGE);
            }
            return;
        }
        conn.releaseSavepoint(beforeCopy);
        try (PreparedStatement ps = conn.prepareStatement(
                "UPDATE fanout_job j SET total_tasks = j.total_tasks + v.n FROM unnest(?::uuid[], ?::int8[]) AS v(id, n) WHERE j.job_id = v.id")) {
            ps.setArray(1, conn.createArrayOf("uuid", perJob.keySet().toArray()));
            ps.setArray(2, conn.createArrayOf("int8", perJob.values().toArray()));
            ps.executeUpdate();
        }
    }

    /** Stages a batch's net status changes (one COPY); {@link #apply} applies them. */
    public void stageStatuses(Connection conn, Collection<StagedStatus> statuses) throws SQLException {
        if (statuses.isEmpty()) {
            return;
        }
        BinaryCopy copy = new BinaryCopy();
        for (StagedStatus s : statuses) {
            copy.row(14).uuid(s.jobId()).uuid(s.taskId()).int4(s.attempt()).text(s.state().name()).int4(s.state().rank())
                    .text(s.executorId()).timestamp(s.receivedAt()).timestamp(s.startedAt()).timestamp(s.finishedAt())
                    .bytea(s.result()).text(s.resultJson()).text(s.errorClass()).text(s.errorMessage()).bool(s.reduceRequired());
        }
        copy.copyInto(conn, "fanout_status_stage (job_id, task_id, attempt, state, rank, executor_id, received_at, started_at, "
                + "finished_at, result, result_json, error_class, error_message, reduce_required)");
    }

    /** Applies the staged statuses; returns the jobs whose counters moved, as they are now. */
    public List<JobRow> applyStatuses(Connection conn) throws SQLException {
        List<JobRow> changed = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(APPLY_STAGE)) {
            while (rs.next()) {
                changed.add(JobStore.readJob(rs));
            }
        }
        return changed;
    }

    /** A task's state, or null if it is not stored. */
    public String state(Connection conn, UUID jobId, UUID taskId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT state FROM fanout_task WHERE job_id = ? AND task_id = ?")) {
            ps.setObject(1, jobId);
            ps.setObject(2, taskId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The job's tasks without a parent (root or static items) that no executor has reported yet. */
    public List<NewTask> undeliveredInitialTasks(Connection conn, UUID jobId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT task_id, kind, task_name, payload_format, payload FROM fanout_task "
                        + "WHERE job_id = ? AND parent_id IS NULL AND state = 'DISPATCHED'")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                List<NewTask> tasks = new ArrayList<>();
                while (rs.next()) {
                    tasks.add(new NewTask(jobId, rs.getObject(1, UUID.class), null, TaskKind.ofCode(rs.getShort(2)), rs.getString(3),
                            PayloadFormat.ofCode(rs.getShort(4)), rs.getBytes(5)));
                }
                return tasks;
            }
        }
    }
}
