package io.fanout.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Adds to jobs' durable counters. The rows are locked in job-id order first, so transactions
 * that apply parts of one batch at once, each touching the same jobs, queue on a job's row
 * rather than deadlock; the lock is taken near the end of each transaction (only the outbox row
 * and the ownership check follow), so they queue only for about the time it takes to commit. A
 * batch of one job counts in its own statement instead ({@link #oneJobUpdate}).
 */
final class JobCounters {

    /** What to add to one job's counters. */
    record Delta(UUID jobId, long total, long inFlight, long succeeded, long failed, boolean reduceRequired) {
    }

    /** The update that adds a relation's deltas (aliased by the argument) to job rows {@code j}: one text for both ways of counting. */
    private static final String ADD_FROM = """
            UPDATE fanout_job j SET
                total_tasks = j.total_tasks + %1$s.total,
                in_flight = j.in_flight + %1$s.in_flight,
                succeeded_tasks = j.succeeded_tasks + %1$s.succeeded,
                failed_tasks = j.failed_tasks + %1$s.failed,
                reduce_required = j.reduce_required OR %1$s.reduce_required""";

    private JobCounters() {
    }

    /**
     * A CTE that adds to one job's counters inside the statement that counted them, for a batch
     * that touches one job (the latency path): one round trip less, and the job's row is found by
     * its key (the job id, bound as the statement's last parameter) however young the table is.
     * One row's lock is taken: there is no order to keep. {@code counts} is a relation of the
     * statement with the columns of {@link Delta} but the id, of at most one row (none: no change).
     */
    static String oneJobUpdate(String counts) {
        return """
                ,
                counted AS (
                    %s
                    FROM %s c
                    WHERE j.job_id = ?)""".formatted(ADD_FROM.formatted("c"), counts);
    }

    /** Whether every item has the same job: then {@link #oneJobUpdate} counts them. */
    static <T> boolean oneJob(Collection<T> items, java.util.function.Function<T, UUID> job) {
        UUID first = null;
        for (T item : items) {
            UUID id = job.apply(item);
            if (first == null) {
                first = id;
            } else if (!first.equals(id)) {
                return false;
            }
        }
        return first != null;
    }

    static void add(Connection conn, Collection<Delta> deltas) throws SQLException {
        if (deltas.isEmpty()) {
            return;
        }
        List<Delta> sorted = deltas.stream().sorted((a, b) -> a.jobId().compareTo(b.jobId())).toList();
        if (sorted.size() > 1) { // one row's lock is taken by the update itself: there is no order to keep
            lockInOrder(conn, sorted);
        }
        try (PreparedStatement ps = conn.prepareStatement(ADD_FROM.formatted("v") + """

                FROM unnest(?::uuid[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::bool[]) AS v(id, total, in_flight, succeeded, failed, reduce_required)
                WHERE j.job_id = v.id""")) {
            ps.setArray(1, conn.createArrayOf("uuid", sorted.stream().map(Delta::jobId).toArray()));
            ps.setArray(2, conn.createArrayOf("int8", sorted.stream().map(Delta::total).toArray()));
            ps.setArray(3, conn.createArrayOf("int8", sorted.stream().map(Delta::inFlight).toArray()));
            ps.setArray(4, conn.createArrayOf("int8", sorted.stream().map(Delta::succeeded).toArray()));
            ps.setArray(5, conn.createArrayOf("int8", sorted.stream().map(Delta::failed).toArray()));
            ps.setArray(6, conn.createArrayOf("bool", sorted.stream().map(Delta::reduceRequired).toArray()));
            ps.executeUpdate();
        }
    }

    private static void lockInOrder(Connection conn, List<Delta> sorted) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM fanout_job WHERE job_id = ANY (?) ORDER BY job_id FOR NO KEY UPDATE")) {
            ps.setArray(1, conn.createArrayOf("uuid", sorted.stream().map(Delta::jobId).toArray()));
            ps.executeQuery().close();
        }
    }
}
