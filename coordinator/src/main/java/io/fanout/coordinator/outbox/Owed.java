package io.fanout.coordinator.outbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The Kafka effects one transaction commits to, grouped by the coordinator partition that owns
 * each (the owner of a partition is the one that re-drives them). Collected while the transaction
 * decides them and written to the outbox in the same transaction.
 */
public final class Owed {

    /** One partition's share. */
    static final class Effects {
        final List<UUID> taskJobs = new ArrayList<>();
        final List<UUID> taskIds = new ArrayList<>();
        final List<UUID> finalJobs = new ArrayList<>();
        final List<Long> letters = new ArrayList<>();
        final List<UUID> finalRuns = new ArrayList<>();
        final List<Long> letterSends = new ArrayList<>();
    }

    private final Map<Integer, Effects> byPartition = new TreeMap<>();

    /** The record of the task's current attempt (owed while the task is DISPATCHED). */
    public Owed task(int partition, UUID jobId, UUID taskId) {
        Effects e = of(partition);
        e.taskJobs.add(jobId);
        e.taskIds.add(taskId);
        return this;
    }

    /** The job's final event (and its cancel order, when it was cancelled). */
    public Owed finalEvent(int partition, UUID jobId) {
        of(partition).finalJobs.add(jobId);
        return this;
    }

    /** The final event of a workflow run. */
    public Owed finalRun(int partition, UUID runId) {
        of(partition).finalRuns.add(runId);
        return this;
    }

    /** The dead-letter record of a task letter. */
    public Owed letter(int partition, long letterId) {
        of(partition).letters.add(letterId);
        return this;
    }

    /** The record a replayed or parked letter owes (see {@code LetterRecords}). */
    public Owed letterSend(int partition, long letterId) {
        of(partition).letterSends.add(letterId);
        return this;
    }

    public boolean isEmpty() {
        return byPartition.isEmpty();
    }

    Map<Integer, Effects> byPartition() {
        return byPartition;
    }

    private Effects of(int partition) {
        return byPartition.computeIfAbsent(partition, p -> new Effects());
    }
}
