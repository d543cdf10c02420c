package io.fanout.shared.wire;

import java.util.UUID;

/**
 * Where a job's subtask results were streamed for its reduce: an inclusive offset range of one
 * partition, and the feed that wrote them. Only chunks of that feed count: if two coordinators
 * streamed the same job (a takeover while the former owner was still streaming), the other's
 * chunks in the range are skipped, and the reduce reads exactly {@code resultCount} results or
 * fails. A null {@code feedId} is a range recorded before feeds had ids: every chunk of the job in
 * it counts.
 */
public record ReduceInputRange(int partition, long fromOffset, long toOffset, long resultCount, UUID feedId) {

    public ReduceInputRange {
        if (resultCount > 0 && (fromOffset < 0 || toOffset < fromOffset)) {
            throw new IllegalArgumentException("bad reduce input range " + fromOffset + ".." + toOffset);
        }
    }

    public static ReduceInputRange empty() {
        return new ReduceInputRange(0, 0, -1, 0, new UUID(0, 0));
    }
}
