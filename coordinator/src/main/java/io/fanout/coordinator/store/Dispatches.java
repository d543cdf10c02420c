package io.fanout.coordinator.store;

import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads task records to send: the columns every query that dispatches selects, and how to read them. */
final class Dispatches {

    private Dispatches() {
    }

    /** What a task record needs: the task, its attempt, the job's reduce input range and the job ({@link #read}). */
    static final String COLUMNS = "t.task_id, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, t.attempt, "
            + "j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count, " + JobStore.COLUMNS_OF_J + ", j.reduce_feed";

    private static TaskDispatch readOne(ResultSet rs) throws SQLException {
        JobRow job = JobStore.readJob(rs, 12);
        NewTask task = Rows.task(rs, job.jobId(), rs.getObject(1, UUID.class), 2);
        ReduceInputRange range = Rows.range(rs);
        return new TaskDispatch(task, rs.getInt(7), job, task.kind() == TaskKind.REDUCE ? range : null);
    }

    static List<TaskDispatch> read(PreparedStatement ps) throws SQLException {
        List<TaskDispatch> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(readOne(rs));
            }
        }
        return out;
    }
}
