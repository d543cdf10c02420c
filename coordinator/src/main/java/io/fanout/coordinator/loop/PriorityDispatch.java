package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.WaitingTasks;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The dispatch window: with one set, a coordinator keeps at most {@code window} attempts in flight
 * per pool over its jobs, and every new task waits in PostgreSQL until there is room. Room goes to
 * the waiting tasks of the highest-priority jobs first (oldest first within a priority), each job
 * within its own parallelism. Kafka topics are first in, first out, so this is what makes
 * priorities mean something when there is a backlog.
 */
final class PriorityDispatch {

    private final int window;
    private final JobStore jobs;
    private final WaitingTasks waiting;

    PriorityDispatch(int window, JobStore jobs, WaitingTasks waiting) {
        this.window = window;
        this.jobs = jobs;
        this.waiting = waiting;
    }

    boolean enabled() {
        return window > 0;
    }

    /** Releases the waiting tasks there is room for; returns them to send. */
    List<TaskDispatch> release(Connection conn, Collection<Integer> partitions) throws SQLException {
        if (!enabled() || partitions.isEmpty()) {
            return List.of();
        }
        Map<String, Long> room = new HashMap<>();
        jobs.inFlightByPool(conn, partitions).forEach((pool, inFlight) -> room.put(pool, window - inFlight));
        List<WaitingTasks.Waiting> queued = waiting.byPriority(conn, partitions, room, window);
        if (queued.isEmpty()) {
            return List.of();
        }
        Map<UUID, JobRow> rows = jobs.load(conn, queued.stream().map(WaitingTasks.Waiting::jobId).distinct().toList());
        Map<UUID, Long> perJob = new LinkedHashMap<>();
        Map<UUID, Long> jobRoom = new HashMap<>();
        for (WaitingTasks.Waiting w : queued) {
            long poolRoom = room.getOrDefault(w.pool(), (long) window);
            long ownRoom = jobRoom.computeIfAbsent(w.jobId(), id -> rows.get(id).dispatchBudget());
            if (poolRoom > 0 && ownRoom > 0) {
                room.put(w.pool(), poolRoom - 1);
                jobRoom.put(w.jobId(), ownRoom - 1);
                perJob.merge(w.jobId(), 1L, Long::sum);
            }
        }
        List<TaskDispatch> released = new ArrayList<>();
        for (Map.Entry<UUID, Long> e : perJob.entrySet()) {
            released.addAll(waiting.release(conn, rows.get(e.getKey()), e.getValue()));
        }
        return released;
    }
}
