package io.fanout.shared.wire;

import java.util.List;
import java.util.UUID;

/** A run of subtask results (Kryo bytes, null for a null result) on the way to a job's reduce, written by one feed (null: before feeds had ids). */
public record ReduceInputChunk(UUID jobId, UUID feedId, List<byte[]> results) {
}
