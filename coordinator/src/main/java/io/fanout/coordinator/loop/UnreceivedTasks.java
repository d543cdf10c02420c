package io.fanout.coordinator.loop;

import io.fanout.coordinator.pools.PoolWatch;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Finds the tasks whose records will never be received (issue S4): deleted by the task topic's
 * retention before an executor read them, or archived by a share group at their delivery limit.
 * Nothing reports such a task and no executor holds it, so it would stay DISPATCHED for good.
 *
 * <p>While its pool reads empty (lag 0: every record committed, acknowledged or deleted), the tasks
 * still DISPATCHED are noted. Each was sent before it was noted, so at a reading of the pool
 * {@code after} later that still finds it empty (as every reading since) its record has been
 * consumed, and its reports sent, or it is gone. One still DISPATCHED at the same attempt then, in a
 * partition whose status backlog is read to its end, has lost its record and is sent again at that
 * attempt (a second delivery of one attempt is counted once). A task is sent again at most
 * {@value #MOST_SENDS} times: a record whose deliveries kill the executors is left to a person.
 */
final class UnreceivedTasks {

    /** The most tasks of one pool noted per look. */
    static final int LIMIT = 1000;
    static final int MOST_SENDS = 3;

    /** The tasks DISPATCHED when noted, and when. */
    private record Noted(long atNanos, Set<TaskStore.Attempt> dispatched) {
    }

    private final PoolWatch pools;
    private final TaskStore tasks;
    private final long afterNanos;
    private final Map<String, Noted> noted = new HashMap<>();
    private final ResendLimit resends = new ResendLimit(MOST_SENDS);

    UnreceivedTasks(PoolWatch pools, TaskStore tasks, Duration after) {
        this.pools = pools;
        this.tasks = tasks;
        this.afterNanos = after.toNanos();
    }

    /** Whether a pool reads empty and its tasks are to be noted, or judged. */
    boolean due() {
        for (PoolWatch.PoolReading r : pools.latest()) {
            Noted before = noted.get(r.pool());
            if (r.lag() == 0 && (before == null || r.readAtNanos() - before.atNanos() >= afterNanos)) {
                return true;
            }
            if (r.lag() != 0) {
                noted.remove(r.pool()); // tasks wait to be read (or the pool is unknown): a DISPATCHED task may be on its way
            }
        }
        return false;
    }

    /** The tasks of {@code partitions} (owned, their status backlog read to its end) whose records were lost, to send again. */
    List<TaskDispatch> lost(Connection c, Collection<Integer> partitions) throws SQLException {
        Set<TaskStore.Attempt> lost = new HashSet<>();
        for (PoolWatch.PoolReading r : pools.latest()) {
            Noted before = noted.get(r.pool());
            if (r.lag() != 0 || before != null && r.readAtNanos() - before.atNanos() < afterNanos) {
                continue;
            }
            long now = System.nanoTime();
            Set<TaskStore.Attempt> dispatched = partitions.isEmpty() ? Set.of() : new HashSet<>(tasks.dispatchedInPool(c, partitions, r.pool(), LIMIT));
            Set<TaskStore.Attempt> next = new HashSet<>(dispatched);
            if (before != null && r.emptyAllAlongSince(before.atNanos())) {
                for (TaskStore.Attempt a : before.dispatched()) {
                    if (next.remove(a)) {
                        lost.add(a);
                    }
                }
            }
            noted.put(r.pool(), new Noted(now, next));
        }
        List<TaskStore.Attempt> again = lost.stream().filter(resends::allow).toList();
        if (again.isEmpty()) {
            return List.of();
        }
        return tasks.stillDispatched(c, again.stream().map(TaskStore.Attempt::jobId).toList(), again.stream().map(TaskStore.Attempt::taskId).toList())
                .stream().filter(d -> again.contains(new TaskStore.Attempt(d.task().jobId(), d.task().taskId(), d.attempt()))).toList();
    }
}
