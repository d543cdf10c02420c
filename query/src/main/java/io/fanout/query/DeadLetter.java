package io.fanout.query;

import java.time.Instant;
import java.util.UUID;

/**
 * A row of the dead-letter index. Task letters name their job and task; a letter for an
 * unreadable record has neither, but keeps the record's bytes.
 *
 * @param state DEAD (waiting), REPLAYED (sent again, outcome pending), RESOLVED (succeeded after a replay) or PARKED
 * @param attempts how many attempts the task had when it was dead-lettered
 * @param ownerPartition the partition whose coordinator replays, parks and deletes the letter (its job's; 0 for an unreadable record)
 */
public record DeadLetter(
        long id,
        String reason,
        String state,
        UUID jobId,
        UUID taskId,
        String taskName,
        String processor,
        Integer attempts,
        String errorClass,
        String errorMessage,
        String stackTrace,
        String executorId,
        Instant firstFailedAt,
        Instant failedAt,
        String originalTopic,
        Integer originalPartition,
        Long originalOffset,
        Integer dltPartition,
        Long dltOffset,
        int replayCount,
        Instant lastReplayedAt,
        int ownerPartition) {

    public static final String DEAD = "DEAD";
    public static final String REPLAYED = "REPLAYED";
    public static final String RESOLVED = "RESOLVED";
    public static final String PARKED = "PARKED";

    public boolean isTaskLetter() {
        return taskId != null;
    }
}
