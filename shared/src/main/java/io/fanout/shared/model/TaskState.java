package io.fanout.shared.model;

/**
 * A task's lifecycle. Each state has a stable wire code (never the ordinal) and a rank: within one
 * attempt a task only moves to a higher rank, so a stale or duplicate event is recognisable.
 */
public enum TaskState {
    CREATED(0, 0),
    DISPATCHED(1, 1),
    RECEIVED(2, 2),
    RUNNING(3, 3),
    SUCCEEDED(4, 4),
    FAILED(5, 4);

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

    public static TaskState ofCode(int code) {
        for (TaskState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown task state code " + code);
    }
}
