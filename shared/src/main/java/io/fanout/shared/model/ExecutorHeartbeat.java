package io.fanout.shared.model;

import java.util.List;

/**
 * What an executor says about itself on the executors topic (JSON, keyed by executor id, on a
 * compacted topic: the latest heartbeat of each executor is kept; a graceful stop writes a
 * tombstone).
 *
 * @param inFlight tasks received and not yet reported (waiting for a slot or running)
 * @param running tasks running now
 * @param completed attempts that succeeded since the executor started
 * @param failed attempts that failed or timed out since the executor started
 * @param heartbeatIntervalMs how often this executor reports; silent for three intervals means gone
 */
public record ExecutorHeartbeat(
        String id,
        String pool,
        String host,
        String version,
        List<String> processors,
        int concurrency,
        int inFlight,
        int running,
        long completed,
        long failed,
        String startedAt,
        String time,
        long heartbeatIntervalMs) {
}
