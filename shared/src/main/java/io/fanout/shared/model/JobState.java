package io.fanout.shared.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** A job's lifecycle as the coordinator records it. */
public enum JobState {
    RUNNING,
    /** Every subtask succeeded; the reduce task is being fed or run. */
    REDUCING,
    /** New tasks of the job are held back, not dispatched, until it is resumed. */
    SUSPENDED,
    SUCCEEDED,
    FAILED,
    /** Stopped by a person: its unfinished tasks are cancelled and running ones interrupted. */
    CANCELLED;

    /** The states of a job that is not over: its tasks may still run and its partition's owner looks after it. */
    public static final Set<JobState> OPEN = Collections.unmodifiableSet(EnumSet.of(RUNNING, REDUCING, SUSPENDED));

    /** The states of a job that is over. */
    public static final Set<JobState> TERMINAL = Collections.unmodifiableSet(EnumSet.of(SUCCEEDED, FAILED, CANCELLED));

    /** {@code states} as a SQL list of literals, e.g. {@code 'RUNNING', 'REDUCING'}, for a query's {@code IN (...)}. */
    public static String sqlList(Set<JobState> states) {
        return states.stream().sorted().map(s -> "'" + s.name() + "'").collect(Collectors.joining(", "));
    }

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }
}
