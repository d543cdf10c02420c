package io.fanout.shared.wire;

import io.fanout.shared.model.TaskState;
import java.util.Objects;
import java.util.UUID;

/**
 * A task's move to a new state, reported by the executor that holds it. Build one with the named
 * constructors; a success never carries a failure and a failed or timed-out attempt always has one.
 *
 * @param reduceRequired the job's processor is a map-reduce processor: the coordinator runs the
 *     reduce once every subtask has succeeded
 * @param result Kryo bytes of the processor's return value (successes only; may be null)
 * @param resultJson the return value as JSON, for root and reduce tasks whose result is the job's
 */
public record StatusEvent(
        UUID taskId,
        int attempt,
        TaskState state,
        long timeMillis,
        boolean reduceRequired,
        byte[] result,
        String resultJson,
        Failure failure) {

    public StatusEvent {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(state, "state");
        if (state != TaskState.SUCCEEDED && (result != null || resultJson != null)) {
            throw new IllegalArgumentException("only a SUCCEEDED event carries a result");
        }
        if (state.isFailure() != (failure != null)) {
            throw new IllegalArgumentException("a FAILED or TIMED_OUT event, and only such an event, carries a failure");
        }
    }

    public static StatusEvent received(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.RECEIVED, timeMillis, false, null, null, null);
    }

    public static StatusEvent running(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.RUNNING, timeMillis, false, null, null, null);
    }

    public static StatusEvent succeeded(UUID taskId, int attempt, long timeMillis, boolean reduceRequired, byte[] result, String resultJson) {
        return new StatusEvent(taskId, attempt, TaskState.SUCCEEDED, timeMillis, reduceRequired, result, resultJson, null);
    }

    public static StatusEvent failed(UUID taskId, int attempt, long timeMillis, Failure failure) {
        return new StatusEvent(taskId, attempt, TaskState.FAILED, timeMillis, false, null, null, failure);
    }

    public static StatusEvent timedOut(UUID taskId, int attempt, long timeMillis, Failure failure) {
        return new StatusEvent(taskId, attempt, TaskState.TIMED_OUT, timeMillis, false, null, null, failure);
    }

    public static StatusEvent cancelled(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.CANCELLED, timeMillis, false, null, null, null);
    }

    /** The attempt was not started because its job is suspended: the coordinator holds the task until the job is resumed. */
    public static StatusEvent suspended(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.SUSPENDED, timeMillis, false, null, null, null);
    }

    public String errorClass() {
        return failure == null ? null : failure.errorClass();
    }

    public String errorMessage() {
        return failure == null ? null : failure.message();
    }

    @Override
    public String toString() {
        return "StatusEvent[task=" + taskId + ", attempt=" + attempt + ", state=" + state
                + (failure == null ? "" : ", error=" + failure.errorClass() + ": " + failure.message()) + "]";
    }
}
