package io.fanout.shared.wire;

/** Where a job's subtask results were streamed for its reduce: an inclusive offset range of one partition. */
public record ReduceInputRange(int partition, long fromOffset, long toOffset, long resultCount) {

    public ReduceInputRange {
        if (resultCount > 0 && (fromOffset < 0 || toOffset < fromOffset)) {
            throw new IllegalArgumentException("bad reduce input range " + fromOffset + ".." + toOffset);
        }
    }

    public static ReduceInputRange empty() {
        return new ReduceInputRange(0, 0, -1, 0);
    }
}
