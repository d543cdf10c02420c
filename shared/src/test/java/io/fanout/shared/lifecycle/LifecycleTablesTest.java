package io.fanout.shared.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskState;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every pair of states, allowed or refused, against the transitions written out edge by edge: a
 * change to a table must be a change to this list too, and the shape rules below hold for any table.
 */
class LifecycleTablesTest {

    private static final String JOB_EDGES = """
            RUNNING -> SUSPENDED, REDUCING, SUCCEEDED, FAILED, CANCELLED
            SUSPENDED -> RUNNING, REDUCING, SUCCEEDED, FAILED, CANCELLED
            REDUCING -> RUNNING, SUCCEEDED, FAILED, CANCELLED
            SUCCEEDED -> RUNNING, REDUCING
            FAILED -> RUNNING, REDUCING
            CANCELLED ->
            """;

    private static final String TASK_EDGES = """
            CREATED -> DISPATCHED, RECEIVED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RETRY_WAIT
            DISPATCHED -> CREATED, RECEIVED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RETRY_WAIT
            RECEIVED -> CREATED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RETRY_WAIT
            RUNNING -> SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, RETRY_WAIT
            RETRY_WAIT -> DISPATCHED, CANCELLED
            FAILED -> DISPATCHED
            TIMED_OUT -> DISPATCHED
            SUCCEEDED ->
            CANCELLED ->
            SUSPENDED ->
            """;

    private static final String RUN_EDGES = """
            RUNNING -> SUSPENDED, SUCCEEDED, FAILED, CANCELLED
            SUSPENDED -> RUNNING, CANCELLED
            SUCCEEDED -> RUNNING
            FAILED -> RUNNING
            CANCELLED -> RUNNING
            REDUCING ->
            """;

    @Test
    void theJobTableAllowsExactlyTheListedTransitions() {
        assertTable(JobLifecycle.TABLE, JobState.class, JOB_EDGES);
    }

    @Test
    void theTaskTableAllowsExactlyTheListedTransitions() {
        assertTable(TaskLifecycle.TABLE, TaskState.class, TASK_EDGES);
    }

    @Test
    void theRunTableAllowsExactlyTheListedTransitions() {
        assertTable(RunLifecycle.TABLE, JobState.class, RUN_EDGES);
    }

    @Test
    void aCancelledJobIsFinalAndEveryJobStateCanBeReached() {
        assertTrue(JobLifecycle.TABLE.successors(JobState.CANCELLED).isEmpty());
        assertEquals(EnumSet.allOf(JobState.class), reachable(JobLifecycle.TABLE, JobState.class));
    }

    /** Within an attempt a task only climbs in rank; the only ways down are the coordinator's: a retry, a replay, a hand-back. */
    @Test
    void aTaskGoesDownInRankOnlyWhenTheCoordinatorStartsItOver() {
        Set<String> down = new TreeSet<>();
        for (TaskState from : TaskState.values()) {
            for (TaskState to : TaskLifecycle.TABLE.successors(from)) {
                if (to.rank() <= from.rank()) {
                    down.add(from + "->" + to);
                }
            }
        }
        assertEquals(Set.of("DISPATCHED->CREATED", "RECEIVED->CREATED", "DISPATCHED->RETRY_WAIT", "RECEIVED->RETRY_WAIT", "RUNNING->RETRY_WAIT",
                "CREATED->RETRY_WAIT", "FAILED->DISPATCHED", "TIMED_OUT->DISPATCHED"), down);
        assertFalse(reachable(TaskLifecycle.TABLE, TaskState.class).contains(TaskState.SUSPENDED), "SUSPENDED is reported, never stored");
    }

    @Test
    void aRefusedTransitionSaysWhatItMayBeReachedFrom() {
        Lifecycle.IllegalTransitionException e = assertThrows(Lifecycle.IllegalTransitionException.class,
                () -> JobLifecycle.TABLE.check(JobState.CANCELLED, JobState.RUNNING));
        assertEquals("a job cannot move from CANCELLED to RUNNING (it may be reached from [REDUCING, SUSPENDED, SUCCEEDED, FAILED])",
                e.getMessage());
    }

    private static <S extends Enum<S>> void assertTable(Lifecycle<S> table, Class<S> type, String edges) {
        Set<String> expected = new TreeSet<>();
        Set<S> listed = EnumSet.noneOf(type);
        for (String line : edges.strip().split("\n")) {
            String[] sides = line.split("->", -1);
            S from = Enum.valueOf(type, sides[0].strip());
            listed.add(from);
            for (String to : sides[1].split(",")) {
                if (!to.isBlank()) {
                    expected.add(from + "->" + Enum.valueOf(type, to.strip()));
                }
            }
        }
        Set<String> actual = new TreeSet<>();
        for (S from : type.getEnumConstants()) {
            for (S to : type.getEnumConstants()) {
                if (table.allows(from, to)) {
                    actual.add(from + "->" + to);
                    table.check(from, to);
                } else if (listed.contains(from)) {
                    S f = from;
                    assertThrows(Lifecycle.IllegalTransitionException.class, () -> table.check(f, to), from + "->" + to);
                }
            }
        }
        assertEquals(expected, actual);
    }

    private static <S extends Enum<S>> Set<S> reachable(Lifecycle<S> table, Class<S> type) {
        Set<S> seen = EnumSet.noneOf(type);
        Deque<S> todo = new ArrayDeque<>(table.initial());
        while (!todo.isEmpty()) {
            S s = todo.pop();
            if (seen.add(s)) {
                todo.addAll(table.successors(s));
            }
        }
        return seen;
    }
}
