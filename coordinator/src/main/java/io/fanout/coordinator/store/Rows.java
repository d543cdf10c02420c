package io.fanout.coordinator.store;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/** Reads the column groups that several queries select the same way. */
final class Rows {

    private Rows() {
    }

    /** A task from {@code parent_id, kind, task_name, payload_format, payload}, starting at column {@code col}. */
    static NewTask task(ResultSet rs, UUID jobId, UUID taskId, int col) throws SQLException {
        return new NewTask(jobId, taskId, rs.getObject(col, UUID.class), TaskKind.ofCode(rs.getShort(col + 1)), rs.getString(col + 2),
                PayloadFormat.ofCode(rs.getShort(col + 3)), rs.getBytes(col + 4));
    }

    /** The job's reduce input range from the columns {@code reduce_partition, reduce_from, reduce_to, reduce_count, reduce_feed}, or null. */
    static ReduceInputRange range(ResultSet rs) throws SQLException {
        return rs.getObject("reduce_partition") == null ? null : new ReduceInputRange(rs.getInt("reduce_partition"), rs.getLong("reduce_from"),
                rs.getLong("reduce_to"), rs.getLong("reduce_count"), rs.getObject("reduce_feed", UUID.class));
    }
}
