package io.fanout.shared.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * What the coordinator publishes on the job-events topic (JSON, keyed by job id): a job's
 * acceptance, its progress, its outcome, or the rejection of a request.
 *
 * @param result the job's result as JSON (SUCCEEDED only)
 * @param reason why a request was rejected (REJECTED only); {@code source} says which record
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobEvent(
        Type type,
        UUID jobId,
        String key,
        String processor,
        JobState state,
        TaskCounts tasks,
        JsonNode result,
        String error,
        String reason,
        String source,
        String time) {

    public enum Type {
        ACCEPTED,
        PROGRESS,
        SUCCEEDED,
        FAILED,
        REJECTED,
        SUSPENDED,
        RESUMED,
        CANCELLED
    }

    /** Per-state task counts of a job. */
    public record TaskCounts(long total, long succeeded, long failed) {
        @JsonIgnore
        public long done() {
            return succeeded + failed;
        }
    }

    /** The last event of a job: its outcome, or the rejection of its request. */
    @JsonIgnore
    public boolean isFinal() {
        return type == Type.SUCCEEDED || type == Type.FAILED || type == Type.REJECTED || type == Type.CANCELLED;
    }
}
