package io.fanout.shared.model;

/** Where a task came from; the kind decides what the executor calls on the processor. */
public enum TaskKind {
    /** The job's first task: runs the processor with the job's params; may map. */
    ROOT(1),
    /** A subtask created by a map call, or an item of a static fan-out. */
    MAPPED(2),
    /** The final task of a map-reduce job: runs reduce over every subtask result. */
    REDUCE(3);

    /** Reserved task names; user map calls may not use them (nor anything starting with "fanout:"). */
    public static final String ROOT_TASK_NAME = "fanout:root";
    public static final String REDUCE_TASK_NAME = "fanout:reduce";
    public static final String RESERVED_PREFIX = "fanout:";

    private final int code;

    TaskKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TaskKind ofCode(int code) {
        for (TaskKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown task kind code " + code);
    }
}
