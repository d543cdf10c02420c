package io.fanout.coordinator.store;

import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Failed attempts waiting for their backoff: a task in RETRY_WAIT with a due time (only such tasks
 * are in the {@code fanout_task_due} index). Housekeeping takes the due ones and marks them
 * dispatched before it sends them.
 */
public final class RetryQueue {

    /** Tasks of open jobs owned by {@code partitions} whose next attempt is due by {@code now}, oldest first. */
    public List<TaskDispatch> due(Connection conn, Collection<Integer> partitions, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + Dispatches.COLUMNS + " FROM fanout_task t JOIN fanout_job j ON j.job_id = t.job_id "
                + "WHERE t.due_at <= ? AND t.state = 'RETRY_WAIT' AND j.owner_partition = ANY (?) AND j.state IN ('RUNNING', 'REDUCING') "
                + "ORDER BY t.due_at LIMIT ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setArray(2, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(3, limit);
            return Dispatches.read(ps);
        }
    }

    /**
     * Marks sent retries as dispatched (those an executor has already reported on keep their state)
     * and counts them in flight.
     */
    public void markDispatched(Connection conn, List<TaskDispatch> sent) throws SQLException {
        TaskLifecycle.TABLE.check(TaskState.RETRY_WAIT, TaskState.DISPATCHED);
        try (PreparedStatement ps = conn.prepareStatement("""
                WITH upd AS (
                    UPDATE fanout_task t SET due_at = NULL, state = CASE WHEN t.state = 'RETRY_WAIT' THEN 'DISPATCHED' ELSE t.state END
                    FROM unnest(?::uuid[], ?::uuid[], ?::int[]) AS v(job_id, task_id, attempt)
                    WHERE t.job_id = v.job_id AND t.task_id = v.task_id AND t.attempt = v.attempt AND t.due_at IS NOT NULL
                    RETURNING t.job_id)
                UPDATE fanout_job j SET in_flight = j.in_flight + c.n FROM (SELECT job_id, count(*) AS n FROM upd GROUP BY job_id) c
                WHERE j.job_id = c.job_id""")) {
            ps.setArray(1, conn.createArrayOf("uuid", sent.stream().map(d -> d.task().jobId()).toArray()));
            ps.setArray(2, conn.createArrayOf("uuid", sent.stream().map(d -> d.task().taskId()).toArray()));
            ps.setArray(3, conn.createArrayOf("int4", sent.stream().map(TaskDispatch::attempt).toArray()));
            ps.executeUpdate();
        }
    }
}
