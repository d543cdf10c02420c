package io.fanout.coordinator.store;

import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Applies a poll batch's status changes to its task rows in one statement, which also counts each
 * completion once and stages the dead letters the failure policy decided. Small batches (the
 * latency path) bind arrays to a prepared statement; large ones are copied into a staging table.
 */
public final class TaskStatuses {

    private TaskStatuses() {
    }

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
     * A task that started at once is never reported RECEIVED: it was received when it started. The
     * receipt time belongs to the current attempt: a retry or a hand-back clears it.
     */
    private static final String APPLY = """
            WITH upd AS (
                UPDATE fanout_task t SET
                    state = CASE WHEN s.state = 'SUSPENDED' THEN 'CREATED' WHEN s.retry_at IS NULL THEN s.state ELSE 'RETRY_WAIT' END,
                    attempt = t.attempt + CASE WHEN s.retry_at IS NULL THEN 0 ELSE 1 END,
                    due_at = s.retry_at,
                    executor_id = coalesce(s.executor_id, t.executor_id),
                    received_at = CASE WHEN s.retry_at IS NOT NULL OR s.state = 'SUSPENDED' THEN NULL
                                       ELSE coalesce(s.received_at, t.received_at, s.started_at) END,
                    started_at = coalesce(s.started_at, t.started_at),
                    finished_at = coalesce(s.finished_at, t.finished_at),
                    result = s.result,
                    result_json = s.result_json,
                    error_class = coalesce(s.error_class, t.error_class),
                    error_message = CASE WHEN s.error_class IS NULL THEN t.error_message ELSE s.error_message END,
                    first_failed_at = CASE WHEN s.error_class IS NULL THEN t.first_failed_at ELSE coalesce(t.first_failed_at, s.finished_at) END
                FROM %s s
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
                FROM upd GROUP BY job_id)%s
            SELECT job_id, succeeded, failed, finished, reduce_required FROM counts WHERE finished > 0
            """;
    /** {@link #APPLY} from the staging table a COPY filled. */
    private static final String APPLY_STAGE = APPLY.formatted("fanout_status_stage", TaskKind.REDUCE.code(), "");
    /** {@link #APPLY} from arrays, one per column, bound to a prepared statement (the times in epoch milliseconds, 0 for none). */
    private static final String APPLY_ARRAYS = applyArrays("");
    /** {@link #APPLY_ARRAYS} for statuses of one job, which also adds to its counters (the job id the last parameter). */
    private static final String APPLY_ARRAYS_ONE_JOB = applyArrays(JobCounters.oneJobUpdate(
            "(SELECT 0 AS total, -finished AS in_flight, succeeded, failed, reduce_required FROM counts WHERE finished > 0)"));
    private static final int ARRAY_COLUMNS = 19;

    private static String applyArrays(String counted) {
        return APPLY.formatted("""
            (SELECT job_id, task_id, attempt, state, rank, executor_id, %s AS received_at, %s AS started_at, %s AS finished_at, result, result_json,
                    error_class, error_message, reduce_required, %s AS retry_at, letter_reason, stack_trace, source_partition, source_offset
             FROM unnest(?::uuid[], ?::uuid[], ?::int4[], ?::text[], ?::int4[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::bytea[], ?::text[],
                         ?::text[], ?::text[], ?::bool[], ?::int8[], ?::text[], ?::text[], ?::int4[], ?::int8[])
                  AS v(job_id, task_id, attempt, state, rank, executor_id, received_ms, started_ms, finished_ms, result, result_json, error_class,
                       error_message, reduce_required, retry_ms, letter_reason, stack_trace, source_partition, source_offset))""".formatted(
                time("received_ms"), time("started_ms"), time("finished_ms"), time("retry_ms")), TaskKind.REDUCE.code(), counted);
    }

    /** The letters a batch staged, with what their dead-letter records need from the task and the job. */
    private static final String STAGED_LETTERS = """
            SELECT l.job_id, l.task_id, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, l.attempt, l.reason, l.executor_id,
                   l.error_class, l.error_message, l.stack_trace, t.first_failed_at, l.failed_at, l.source_partition, l.source_offset,
                   j.reduce_partition, j.reduce_from, j.reduce_to, j.reduce_count,\s""" + JobStore.COLUMNS_OF_J + ", j.reduce_feed" + """

            FROM fanout_letter_stage l
            JOIN fanout_task t ON t.job_id = l.job_id AND t.task_id = l.task_id
            JOIN fanout_job j ON j.job_id = l.job_id
            """;

    /**
     * Indexes the dead letters the last {@link #apply} staged (a task dead-lettered again
     * after a replay keeps its row and replay count) and returns them for their dead-letter records.
     */
    public static List<NewDeadLetter> indexStagedLetters(Connection conn) throws SQLException {
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

    /**
     * Applies a batch's net status changes and counts what finished in their jobs' counters (dead
     * letters it decides are staged for {@link #indexStagedLetters}); returns the jobs whose counters moved.
     */
    public static Set<UUID> apply(Connection conn, List<StagedStatus> statuses) throws SQLException {
        List<JobCounters.Delta> finished = new ArrayList<>();
        if (statuses.isEmpty()) {
            return Set.of();
        }
        if (statuses.size() <= ColumnArrays.UP_TO) {
            boolean oneJob = JobCounters.oneJob(statuses, StagedStatus::jobId);
            try (PreparedStatement ps = conn.prepareStatement(oneJob ? APPLY_ARRAYS_ONE_JOB : APPLY_ARRAYS)) {
                bindColumns(conn, ps, statuses);
                if (oneJob) {
                    ps.setObject(ARRAY_COLUMNS + 1, statuses.get(0).jobId());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    readCounts(rs, finished);
                }
            }
            if (oneJob) { // counted by the statement
                return finished.isEmpty() ? Set.of() : Set.of(statuses.get(0).jobId());
            }
        } else {
            stage(conn, statuses);
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(APPLY_STAGE)) {
                readCounts(rs, finished);
            }
        }
        JobCounters.add(conn, finished);
        Set<UUID> moved = new HashSet<>();
        finished.forEach(d -> moved.add(d.jobId()));
        return moved;
    }

    private static void readCounts(ResultSet rs, List<JobCounters.Delta> finished) throws SQLException {
        while (rs.next()) {
            finished.add(new JobCounters.Delta(rs.getObject(1, UUID.class), 0, -rs.getLong(4), rs.getLong(2), rs.getLong(3), rs.getBoolean(5)));
        }
    }

    /** Copies the statuses into the staging table (one COPY). */
    private static void stage(Connection conn, Collection<StagedStatus> statuses) throws SQLException {
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

    /** Binds the statuses, column by column, to {@link #APPLY_ARRAYS}. */
    private static void bindColumns(Connection conn, PreparedStatement ps, List<StagedStatus> statuses) throws SQLException {
        ColumnArrays rows = new ColumnArrays(statuses.size(), "uuid", "uuid", "int4", "text", "int4", "text", "int8", "int8", "int8", "bytea", "text",
                "text", "text", "bool", "int8", "text", "text", "int4", "int8"); // ARRAY_COLUMNS
        for (StagedStatus s : statuses) {
            Failure f = s.failure();
            rows.row(s.jobId(), s.taskId(), s.attempt(), s.state().name(), s.state().rank(), s.executorId(), s.receivedAt(), s.startedAt(),
                    s.finishedAt(), s.result(), s.resultJson(), f == null ? null : f.errorClass(), f == null ? null : f.message(), s.reduceRequired(),
                    s.retryAt(), s.letterReason(), f == null ? null : f.stackTrace(), f == null ? -1 : f.sourcePartition(),
                    f == null ? -1L : f.sourceOffset());
        }
        rows.bind(conn, ps);
    }

    /** SQL for a time given in epoch milliseconds, 0 for none. */
    private static String time(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN timestamptz 'epoch' + " + millis + " * interval '1 millisecond' END";
    }

}
