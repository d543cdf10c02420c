package io.fanout.executor.runtime;

import io.fanout.executor.api.TaskContext;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.wire.TaskRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/** The {@link TaskContext} of one task execution. */
final class RunningTask implements TaskContext {

    private final TaskRecord task;
    private final PayloadCodec codec;
    private final MapSender mapSender;
    private final String executorId;
    private int mapCalls;
    /** The thread inside {@link #map}, if any. */
    private final AtomicReference<Thread> mapping = new AtomicReference<>();

    private final int deliveryCount;

    RunningTask(TaskRecord task, PayloadCodec codec, MapSender mapSender, String executorId, int deliveryCount) {
        this.deliveryCount = deliveryCount;
        this.task = task;
        this.codec = codec;
        this.mapSender = mapSender;
        this.executorId = executorId;
    }

    @Override
    public UUID jobId() {
        return task.jobId();
    }

    @Override
    public UUID taskId() {
        return task.taskId();
    }

    @Override
    public String taskName() {
        return task.taskName();
    }

    @Override
    public int attempt() {
        return task.attempt();
    }

    @Override
    public boolean isRoot() {
        return task.kind() == TaskKind.ROOT;
    }

    @Override
    public <T> T params(Class<T> type) {
        if (!isRoot()) {
            throw new IllegalStateException("params belong to the root task; task " + task.taskId() + " is " + task.kind());
        }
        return decode(type);
    }

    @Override
    public <T> T payload(Class<T> type) {
        if (isRoot()) {
            throw new IllegalStateException("the root task has params, not a payload");
        }
        return decode(type);
    }

    @Override
    public long map(Iterable<?> items, String taskName) {
        if (task.kind() == TaskKind.REDUCE) {
            throw new IllegalStateException("reduce cannot map");
        }
        // A map call's number names its children (a re-run maps the same ids): two calls at once
        // would race for numbers and order, so a re-run could name different children.
        if (!mapping.compareAndSet(null, Thread.currentThread())) {
            throw new IllegalStateException("ctx.map() was called from two threads of task " + task.taskId() + " at once: call it from one thread "
                    + "at a time, in the same order on every run (its children's ids depend on the order of the calls)");
        }
        try {
            return mapSender.map(task, mapCalls++, items, taskName, codec);
        } finally {
            mapping.set(null);
        }
    }

    @Override
    public String executorId() {
        return executorId;
    }

    @Override
    public int deliveryCount() {
        return deliveryCount;
    }

    private <T> T decode(Class<T> type) {
        byte[] bytes = task.payload();
        if (bytes == null || task.payloadFormat() == PayloadFormat.NONE) {
            return null;
        }
        if (task.payloadFormat() == PayloadFormat.JSON) {
            try {
                return Json.mapper().readValue(bytes, type);
            } catch (IOException e) {
                throw new UncheckedIOException("payload of task " + task.taskId() + " is not a " + type.getName() + ": " + e.getMessage(), e);
            }
        }
        Object value = codec.decode(bytes);
        if (value != null && !type.isInstance(value)) {
            throw new ClassCastException("payload of task " + task.taskId() + " is a " + value.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(value);
    }
}
