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
        final List<Long> letterParks = new ArrayList<>();
        final List<Long> letterReturns = new ArrayList<>();
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

    /** What a replayed or parked letter owes, by its kind. */
    public Owed letterSend(int partition, long letterId, boolean parked) {
        return parked ? letterPark(partition, letterId) : letterReturn(partition, letterId);
    }

    /** The parking record of a parked letter (see {@code LetterRecords}). */
    public Owed letterPark(int partition, long letterId) {
        of(partition).letterParks.add(letterId);
        return this;
    }

    /** The bytes of a replayed unreadable record, back where they came from (see {@code LetterRecords}). */
    public Owed letterReturn(int partition, long letterId) {
        of(partition).letterReturns.add(letterId);
        return this;
    }

    /** Takes on what {@code other} owes. */
    public Owed add(Owed other) {
        other.byPartition.forEach((partition, x) -> {
            Effects e = of(partition);
            e.taskJobs.addAll(x.taskJobs);
            e.taskIds.addAll(x.taskIds);
            e.finalJobs.addAll(x.finalJobs);
            e.letters.addAll(x.letters);
            e.finalRuns.addAll(x.finalRuns);
            e.letterParks.addAll(x.letterParks);
            e.letterReturns.addAll(x.letterReturns);
        });
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
