package io.fanout.bench.peers;

/** A peer scheduler's rate on the no-op workload, enqueue time included. */
public record PeerResult(String name, double tasksPerSecond) {
}
