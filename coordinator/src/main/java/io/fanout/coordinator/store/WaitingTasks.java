package io.fanout.coordinator.store;

import io.fanout.coordinator.dispatch.TaskDispatch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Tasks waiting in PostgreSQL to be dispatched ({@code fanout_task_held}): beyond their job's
 * parallelism, behind a dispatch window, or while their job is suspended. They are released in
 * order, and counted in flight by the statement that releases them.
 */
public final class WaitingTasks {

    /** A held task's place in the priority order: its job and the job's pool. */
    public record Waiting(UUID jobId, String pool) {
    }

    /**
     * Held tasks of the running jobs of these partitions, highest job priority first, then oldest:
     * the order a dispatch window releases them in.
     */
    public List<Waiting> byPriority(Connection conn, Collection<Integer> partitions, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT h.job_id, j.pool FROM fanout_task_held h JOIN fanout_job j ON j.job_id = h.job_id
                WHERE j.state = 'RUNNING' AND j.owner_partition = ANY (?)
                ORDER BY j.priority DESC, h.seq LIMIT ?""")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(2, limit);
            List<Waiting> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Waiting(rs.getObject(1, UUID.class), rs.getString(2)));
                }
            }
            return out;
        }
    }

    /** Dispatches up to {@code n} of the job's held tasks, oldest first, counting them in flight; returns them to send. */
    public List<TaskDispatch> release(Connection conn, JobRow job, long n) throws SQLException {
        if (n <= 0) {
            return List.of();
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                WITH next AS (
                    DELETE FROM fanout_task_held WHERE (job_id, seq) IN (
                        SELECT job_id, seq FROM fanout_task_held WHERE job_id = ? ORDER BY seq LIMIT ?)
                    RETURNING task_id),
                upd AS (
                    UPDATE fanout_task t SET state = 'DISPATCHED' FROM next
                    WHERE t.job_id = ? AND t.task_id = next.task_id AND t.state = 'CREATED'
                    RETURNING t.task_id, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, t.attempt),
                bump AS (UPDATE fanout_job SET in_flight = in_flight + (SELECT count(*) FROM upd) WHERE job_id = ?)
                SELECT * FROM upd""")) {
            ps.setObject(1, job.jobId());
            ps.setLong(2, Math.min(n, Integer.MAX_VALUE));
            ps.setObject(3, job.jobId());
            ps.setObject(4, job.jobId());
            List<TaskDispatch> released = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    released.add(new TaskDispatch(Rows.task(rs, job.jobId(), rs.getObject(1, UUID.class), 2), rs.getInt(7), job, null));
                }
            }
            return released;
        }
    }

    /** Whether any of the job's tasks waits in the held queue. */
    public boolean anyHeld(Connection conn, UUID jobId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT EXISTS (SELECT 1 FROM fanout_task_held WHERE job_id = ?)")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
