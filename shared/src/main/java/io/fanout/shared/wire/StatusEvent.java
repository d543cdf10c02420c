package io.fanout.shared.wire;

import io.fanout.shared.model.TaskState;
import java.util.Objects;
import java.util.UUID;

/**
 * A task's move to a new state, reported by the executor that holds it. Build one with the named
 * constructors; a success never carries an error and a failure always names one.
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
        String errorClass,
        String errorMessage) {

    public StatusEvent {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(state, "state");
        if (state != TaskState.SUCCEEDED && (result != null || resultJson != null)) {
            throw new IllegalArgumentException("only a SUCCEEDED event carries a result");
        }
        if ((state == TaskState.FAILED) != (errorClass != null)) {
            throw new IllegalArgumentException("a FAILED event, and only a FAILED event, names an error class");
        }
    }

    public static StatusEvent received(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.RECEIVED, timeMillis, false, null, null, null, null);
    }

    public static StatusEvent running(UUID taskId, int attempt, long timeMillis) {
        return new StatusEvent(taskId, attempt, TaskState.RUNNING, timeMillis, false, null, null, null, null);
    }

    public static StatusEvent succeeded(UUID taskId, int attempt, long timeMillis, boolean reduceRequired, byte[] result, String resultJson) {
        return new StatusEvent(taskId, attempt, TaskState.SUCCEEDED, timeMillis, reduceRequired, result, resultJson, null, null);
    }

    public static StatusEvent failed(UUID taskId, int attempt, long timeMillis, String errorClass, String errorMessage) {
        return new StatusEvent(taskId, attempt, TaskState.FAILED, timeMillis, false, null, null, errorClass, errorMessage);
    }

    @Override
    public String toString() {
        return "StatusEvent[task=" + taskId + ", attempt=" + attempt + ", state=" + state
                + (errorClass == null ? "" : ", error=" + errorClass + ": " + errorMessage) + "]";
    }
}
