package io.fanout.shared.model;

/**
 * A task's lifecycle. Each state has a stable wire code (never the ordinal) and a rank: within one
 * attempt a task only moves to a higher rank, so a stale or duplicate event is recognisable.
 * {@link #RETRY_WAIT} starts a new attempt (rank 0): the task waits for its backoff to pass.
 */
public enum TaskState {
    CREATED(0, 0),
    DISPATCHED(1, 1),
    RECEIVED(2, 2),
    RUNNING(3, 3),
    SUCCEEDED(4, 4),
    FAILED(5, 4),
    /** The executor stopped the attempt at the job's task timeout; retried like a failure. */
    TIMED_OUT(6, 4),
    /** Stopped for good before it finished (the job's deadline passed). */
    CANCELLED(7, 4),
    /** A failed attempt is over; the next one is dispatched when its backoff has passed. */
    RETRY_WAIT(8, 0),
    /**
     * Reported, never stored: the executor did not start the attempt because its job is suspended.
     * The coordinator holds the task (CREATED, same attempt: it never ran) until the job is resumed. It ranks with
     * RUNNING, so it applies only to an attempt that has not started.
     */
    SUSPENDED(9, 3);

    private final int code;
    private final int rank;

    TaskState(int code, int rank) {
        this.code = code;
        this.rank = rank;
    }

    public int code() {
        return code;
    }

    /** Position in the lifecycle of one attempt; terminal states share the top rank. */
    public int rank() {
        return rank;
    }

    public boolean isTerminal() {
        return rank == 4;
    }

    /** A failed attempt: the retry policy decides what happens next. */
    public boolean isFailure() {
        return this == FAILED || this == TIMED_OUT;
    }

    public static TaskState ofCode(int code) {
        for (TaskState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown task state code " + code);
    }
}
