package io.fanout.shared.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * What the coordinator publishes on the job-events topic (JSON, keyed by job id): a job's
 * acceptance, its progress, its outcome, or the rejection of a request. A workflow run's events
 * carry the run id as {@code jobId} and say which workflow (and node) in {@code workflow}.
 *
 * @param result the job's result as JSON (SUCCEEDED only)
 * @param reason why a request was rejected (REJECTED), or what a command did or why it was refused
 *     (an event that answers a command); {@code source} says which record
 * @param command the id of the command this event answers (see {@code JobCommand}), else null
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
        String time,
        Workflow workflow,
        UUID command) {

    /** The event of a job, a run or a request, answering no command. */
    public JobEvent(Type type, UUID jobId, String key, String processor, JobState state, TaskCounts tasks, JsonNode result, String error,
                    String reason, String source, String time, Workflow workflow) {
        this(type, jobId, key, processor, state, tasks, result, error, reason, source, time, workflow, null);
    }

    /** The event of a job or a request (no workflow). */
    public JobEvent(Type type, UUID jobId, String key, String processor, JobState state, TaskCounts tasks, JsonNode result, String error,
                    String reason, String source, String time) {
        this(type, jobId, key, processor, state, tasks, result, error, reason, source, time, null, null);
    }

    /** This event as the answer to a command, saying what it did or why not. */
    public JobEvent answering(UUID commandId, String message) {
        return new JobEvent(type, jobId, key, processor, state, tasks, result, error, message, source, time, workflow, commandId);
    }

    /**
     * What a workflow event is about.
     *
     * @param node the node (NODE_STARTED, NODE_FINISHED), else null
     * @param nodeState the node's state (NODE_ events)
     * @param nodeJob the job of the node's attempt (NODE_ events of a node that ran)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Workflow(String name, int version, String node, String nodeState, UUID nodeJob) {
    }

    public enum Type {
        ACCEPTED,
        PROGRESS,
        SUCCEEDED,
        FAILED,
        REJECTED,
        SUSPENDED,
        RESUMED,
        CANCELLED,
        /** A command was not carried out: the job's state does not allow it (or there is no such job: no state). */
        REFUSED,
        /** A replay command was carried out on at least one of its dead letters ({@code result} says what of each). */
        REPLAYED,
        /** A park command was carried out on at least one of its dead letters ({@code result} says what of each). */
        PARKED,
        RUN_STARTED,
        NODE_STARTED,
        NODE_FINISHED,
        RUN_FINISHED
    }

    /** Per-state task counts of a job. */
    public record TaskCounts(long total, long succeeded, long failed) {
        @JsonIgnore
        public long done() {
            return succeeded + failed;
        }
    }

    /** The last event of a job or a run: its outcome, or the rejection of its request. */
    @JsonIgnore
    public boolean isFinal() {
        return type == Type.SUCCEEDED || type == Type.FAILED || type == Type.REJECTED || type == Type.CANCELLED || type == Type.RUN_FINISHED;
    }
}
