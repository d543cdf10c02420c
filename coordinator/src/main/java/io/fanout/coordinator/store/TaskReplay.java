package io.fanout.coordinator.store;

import io.fanout.shared.lifecycle.JobLifecycle;
import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The database side of replaying a dead-lettered task: the task starts a new attempt, its failure
 * is taken off the job's count, and an ended job is reopened (REDUCING for its reduce task,
 * RUNNING otherwise). If the job already has a reduce and the replayed task is one of its
 * subtasks, that reduce is discarded: it is run again, with the new result, once every subtask is
 * done, at an attempt past the discarded one's (whose late statuses then match nothing).
 */
public final class TaskReplay {

    /**
     * A replay worked out under row locks: either why it cannot happen, or the attempt to dispatch.
     *
     * @param reopens the job had ended and will run again
     */
    public record Prepared(String refusal, TaskDispatch next, boolean reopens) {
    }

    private TaskReplay() {
    }

    /** Locks the task and its job and works out the replay. */
    public static Prepared prepare(Connection c, UUID jobId, UUID taskId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.state, t.attempt, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload,
                       j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count, coalesce(j.deadline_at <= now(), false),\s"""
                + JobStore.COLUMNS_OF_J + ", j.reduce_feed" + """

                FROM fanout_task t JOIN fanout_job j ON j.job_id = t.job_id
                WHERE t.job_id = ? AND t.task_id = ?
                FOR UPDATE""")) {
            ps.setObject(1, jobId);
            ps.setObject(2, taskId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Prepared("task " + taskId + " of job " + jobId + " is not stored", null, false);
                }
                TaskState state = TaskState.valueOf(rs.getString(1));
                if (!state.isFailure()) {
                    return new Prepared("task " + taskId + " is " + state + ", not failed", null, false);
                }
                TaskLifecycle.TABLE.check(state, TaskState.DISPATCHED);
                if (rs.getBoolean(12)) {
                    return new Prepared("job " + jobId + " is past its deadline", null, false);
                }
                JobRow job = JobStore.readJob(rs, 13);
                if (job.state() == JobState.CANCELLED) {
                    return new Prepared("job " + jobId + " was cancelled", null, false);
                }
                NewTask task = Rows.task(rs, jobId, taskId, 3);
                ReduceInputRange range = Rows.range(rs);
                boolean ended = job.state() == JobState.FAILED || job.state() == JobState.SUCCEEDED;
                // A subtask replayed while the job reduces (its failures were within maxFailedTasks) discards that reduce: the job
                // runs again, and reduces once the subtask is done.
                JobState reopenedAs = task.kind() == TaskKind.REDUCE ? (ended ? JobState.REDUCING : job.state())
                        : ended || job.state() == JobState.REDUCING ? JobState.RUNNING : job.state();
                if (reopenedAs != job.state()) {
                    JobLifecycle.TABLE.check(job.state(), reopenedAs);
                }
                return new Prepared(null, new TaskDispatch(task, rs.getInt(2) + 1, job.withState(reopenedAs),
                        task.kind() == TaskKind.REDUCE ? range : null), ended);
            }
        }
    }

    /** Applies a prepared replay: the new attempt, the job's counters and state, and a discarded reduce. */
    public static void apply(Connection c, Prepared p) throws SQLException {
        TaskDispatch next = p.next();
        UUID jobId = next.task().jobId();
        try (PreparedStatement ps = c.prepareStatement("UPDATE fanout_task SET state = 'DISPATCHED', attempt = ?, due_at = NULL, received_at = NULL, "
                + "started_at = NULL, finished_at = NULL WHERE job_id = ? AND task_id = ?")) {
            ps.setInt(1, next.attempt());
            ps.setObject(2, jobId);
            ps.setObject(3, next.task().taskId());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE fanout_job SET failed_tasks = failed_tasks - 1, in_flight = in_flight + 1, state = ?, "
                + "finished_at = CASE WHEN ? THEN NULL ELSE finished_at END, expires_at = CASE WHEN ? THEN NULL ELSE expires_at END, error = CASE WHEN ? THEN NULL ELSE error END, "
                + "result_json = CASE WHEN ? THEN NULL ELSE result_json END WHERE job_id = ?")) {
            ps.setString(1, next.job().state().name());
            ps.setBoolean(2, p.reopens());
            ps.setBoolean(3, p.reopens());
            ps.setBoolean(4, p.reopens());
            ps.setBoolean(5, p.reopens());
            ps.setObject(6, jobId);
            ps.executeUpdate();
        }
        if (next.task().kind() != TaskKind.REDUCE) {
            discardReduce(c, jobId);
        }
    }

    /** A reduce that ran on counts the replay changes is dropped; one still in flight frees its place in the parallelism (issue C2). */
    private static void discardReduce(Connection c, UUID jobId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                WITH gone AS (DELETE FROM fanout_task WHERE job_id = ? AND task_id = ? RETURNING state, attempt)
                UPDATE fanout_job SET
                    total_tasks = total_tasks - 1,
                    succeeded_tasks = succeeded_tasks - (SELECT count(*) FROM gone WHERE state = 'SUCCEEDED'),
                    failed_tasks = failed_tasks - (SELECT count(*) FROM gone WHERE state IN ('FAILED', 'TIMED_OUT')),
                    in_flight = in_flight - (SELECT count(*) FROM gone WHERE state IN ('DISPATCHED', 'RECEIVED', 'RUNNING')),
                    reduce_partition = NULL, reduce_from = NULL, reduce_to = NULL, reduce_count = NULL, reduce_feed = NULL,
                    reduce_attempt = (SELECT attempt + 1 FROM gone)
                WHERE job_id = ? AND EXISTS (SELECT 1 FROM gone)""")) {
            ps.setObject(1, jobId);
            ps.setObject(2, TaskIds.reduce(jobId));
            ps.setObject(3, jobId);
            ps.executeUpdate();
        }
    }

    /** The task's current attempt as a dispatch (for parking its record), or null if it is not stored. */
    public static TaskDispatch current(Connection c, UUID jobId, UUID taskId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.attempt, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload,
                       j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count,\s""" + JobStore.COLUMNS_OF_J + ", j.reduce_feed" + """

                FROM fanout_task t JOIN fanout_job j ON j.job_id = t.job_id
                WHERE t.job_id = ? AND t.task_id = ?""")) {
            ps.setObject(1, jobId);
            ps.setObject(2, taskId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                JobRow job = JobStore.readJob(rs, 11);
                NewTask task = Rows.task(rs, jobId, taskId, 2);
                ReduceInputRange range = Rows.range(rs);
                return new TaskDispatch(task, rs.getInt(1), job, task.kind() == TaskKind.REDUCE ? range : null);
            }
        }
    }
}
