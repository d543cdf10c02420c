package io.fanout.shared.model;

/** A job's lifecycle as the coordinator records it. */
public enum JobState {
    RUNNING,
    /** Every subtask succeeded; the reduce task is being fed or run. */
    REDUCING,
    SUCCEEDED,
    FAILED;

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED;
    }
}
