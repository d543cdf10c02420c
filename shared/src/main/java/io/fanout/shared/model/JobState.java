package io.fanout.shared.model;

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

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
