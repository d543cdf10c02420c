package io.fanout.shared.wire;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The binary formats of the internal topics. Every record starts with a version byte so that a
 * later format can be read side by side with this one; anything unreadable is a
 * {@link WireFormatException}.
 */
public final class WireCodec {

    static final int VERSION = 1;
    /**
     * Reduce task records and reduce input chunks with the feed that wrote the inputs. Readers take
     * both versions (a reduce recorded before feeds had ids reads every chunk of its job); writers of
     * other records keep {@link #VERSION}, so executors that only know it still read them.
     */
    static final int FEED_VERSION = 2;
    /**
     * A task record carrying a slice: several tasks of one job, what they share written once. Only
     * coordinators with a slice size above 1 write it; executors of earlier versions cannot read it.
     */
    static final int SLICE_VERSION = 3;
    private static final int STATUS_BATCH = 1;
    private static final int MAP_REQUEST = 2;

    private WireCodec() {
    }

    public static byte[] encodeTask(TaskRecord t) {
        BinaryOut out = new BinaryOut(96 + t.processor().length() + t.taskName().length() + (t.payload() == null ? 0 : t.payload().length));
        out.writeByte(t.kind() == TaskKind.REDUCE ? FEED_VERSION : VERSION)
                .writeUuid(t.jobId())
                .writeUuid(t.taskId())
                .writeNullableUuid(t.parentId())
                .writeInt(t.attempt())
                .writeInt(t.statusPartition())
                .writeByte(t.kind().code())
                .writeString(t.processor())
                .writeString(t.taskName())
                .writeByte(t.payloadFormat().code())
                .writeBytes(t.payload())
                .writeLong(t.timeoutMillis())
                .writeLong(t.deadlineMillis())
                .writeInt(t.nonRetryable().size());
        t.nonRetryable().forEach(out::writeString);
        if (t.kind() == TaskKind.REDUCE) {
            ReduceInputRange r = t.reduceInput();
            out.writeInt(r.partition()).writeLong(r.fromOffset()).writeLong(r.toOffset()).writeLong(r.resultCount()).writeNullableUuid(r.feedId());
        }
        return out.toByteArray();
    }

    /**
     * A slice: the tasks of one job (none a reduce), one record. What the job gives every task (its
     * status partition, processor, timeout, deadline, non-retryable classes) is written once.
     */
    public static byte[] encodeSlice(List<TaskRecord> tasks) {
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("a slice carries at least one task");
        }
        TaskRecord first = tasks.get(0);
        int size = 64 + first.processor().length() * 3;
        for (TaskRecord t : tasks) {
            if (!t.jobId().equals(first.jobId()) || t.statusPartition() != first.statusPartition() || !t.processor().equals(first.processor())
                    || t.timeoutMillis() != first.timeoutMillis() || t.deadlineMillis() != first.deadlineMillis()
                    || !t.nonRetryable().equals(first.nonRetryable()) || t.kind() == TaskKind.REDUCE) {
                throw new IllegalArgumentException("a slice carries tasks of one job, none a reduce: " + t + " does not go with " + first);
            }
            size += 48 + t.taskName().length() * 3 + (t.payload() == null ? 0 : t.payload().length);
        }
        BinaryOut out = new BinaryOut(size);
        out.writeByte(SLICE_VERSION)
                .writeUuid(first.jobId())
                .writeInt(first.statusPartition())
                .writeString(first.processor())
                .writeLong(first.timeoutMillis())
                .writeLong(first.deadlineMillis())
                .writeInt(first.nonRetryable().size());
        first.nonRetryable().forEach(out::writeString);
        out.writeInt(tasks.size());
        for (TaskRecord t : tasks) {
            out.writeUuid(t.taskId())
                    .writeNullableUuid(t.parentId())
                    .writeInt(t.attempt())
                    .writeByte(t.kind().code())
                    .writeString(t.taskName())
                    .writeByte(t.payloadFormat().code())
                    .writeBytes(t.payload());
        }
        return out.toByteArray();
    }

    /** The tasks of a task record: one, or a slice's. */
    public static List<TaskRecord> decodeTasks(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes[0] != SLICE_VERSION) {
            return List.of(decodeTask(bytes));
        }
        try {
            BinaryIn in = new BinaryIn(bytes);
            in.expectVersion(SLICE_VERSION, "task slice");
            UUID jobId = in.readUuid();
            int statusPartition = in.readInt();
            String processor = requireText(in.readString(), "processor");
            long timeout = in.readLong();
            long deadline = in.readLong();
            List<String> nonRetryable = List.copyOf(readNonRetryable(in)); // one list for every task
            int n = in.readCount("sliced task");
            if (n == 0) {
                throw new WireFormatException("task slice carries no task");
            }
            List<TaskRecord> tasks = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                UUID taskId = in.readUuid();
                UUID parentId = in.readNullableUuid();
                int attempt = in.readInt();
                TaskKind kind = TaskKind.ofCode(in.readByte());
                if (kind == TaskKind.REDUCE) {
                    throw new WireFormatException("task slice carries a reduce task");
                }
                String taskName = requireText(in.readString(), "task name");
                PayloadFormat format = PayloadFormat.ofCode(in.readByte());
                tasks.add(new TaskRecord(jobId, taskId, parentId, attempt, statusPartition, kind, processor, taskName, format, in.readBytes(), timeout,
                        deadline, nonRetryable, null));
            }
            in.expectEnd("task slice");
            return tasks;
        } catch (WireFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WireFormatException("not a task slice: " + e.getMessage(), e);
        }
    }

    private static List<String> readNonRetryable(BinaryIn in) {
        int n = in.readCount("non-retryable class");
        List<String> nonRetryable = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            nonRetryable.add(requireText(in.readString(), "non-retryable class"));
        }
        return nonRetryable;
    }

    /** A record of one task; a slice is read by {@link #decodeTasks}. */
    public static TaskRecord decodeTask(byte[] bytes) {
        try {
            BinaryIn in = new BinaryIn(bytes);
            int version = in.readVersion(VERSION, FEED_VERSION, "task record");
            UUID jobId = in.readUuid();
            UUID taskId = in.readUuid();
            UUID parentId = in.readNullableUuid();
            int attempt = in.readInt();
            int statusPartition = in.readInt();
            TaskKind kind = TaskKind.ofCode(in.readByte());
            String processor = requireText(in.readString(), "processor");
            String taskName = requireText(in.readString(), "task name");
            PayloadFormat format = PayloadFormat.ofCode(in.readByte());
            byte[] payload = in.readBytes();
            long timeout = in.readLong();
            long deadline = in.readLong();
            List<String> nonRetryable = readNonRetryable(in);
            ReduceInputRange range = kind == TaskKind.REDUCE
                    ? new ReduceInputRange(in.readInt(), in.readLong(), in.readLong(), in.readLong(), version >= FEED_VERSION ? in.readNullableUuid() : null)
                    : null;
            in.expectEnd("task record");
            return new TaskRecord(jobId, taskId, parentId, attempt, statusPartition, kind, processor, taskName, format, payload, timeout, deadline,
                    nonRetryable, range);
        } catch (WireFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WireFormatException("not a task record: " + e.getMessage(), e);
        }
    }

    public static byte[] encodeStatus(StatusMessage message) {
        return switch (message) {
            case StatusBatch b -> encodeBatch(b);
            case MapRequest m -> encodeMap(m);
        };
    }

    public static StatusMessage decodeStatus(byte[] bytes) {
        try {
            BinaryIn in = new BinaryIn(bytes);
            in.expectVersion(VERSION, "status record");
            int type = in.readByte();
            StatusMessage message = switch (type) {
                case STATUS_BATCH -> decodeBatch(in);
                case MAP_REQUEST -> decodeMap(in);
                default -> throw new WireFormatException("unknown status record type " + type);
            };
            in.expectEnd("status record");
            return message;
        } catch (WireFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WireFormatException("not a status record: " + e.getMessage(), e);
        }
    }

    public static byte[] encodeReduceInput(ReduceInputChunk chunk) {
        int size = 48;
        for (byte[] r : chunk.results()) {
            size += 4 + (r == null ? 0 : r.length);
        }
        BinaryOut out = new BinaryOut(size);
        out.writeByte(FEED_VERSION).writeUuid(chunk.jobId()).writeUuid(chunk.feedId()).writeInt(chunk.results().size());
        for (byte[] r : chunk.results()) {
            out.writeBytes(r);
        }
        return out.toByteArray();
    }

    public static ReduceInputChunk decodeReduceInput(byte[] bytes) {
        try {
            BinaryIn in = new BinaryIn(bytes);
            int version = in.readVersion(VERSION, FEED_VERSION, "reduce input record");
            UUID jobId = in.readUuid();
            UUID feedId = version >= FEED_VERSION ? in.readUuid() : null;
            int n = in.readCount("result");
            List<byte[]> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                results.add(in.readBytes());
            }
            in.expectEnd("reduce input record");
            return new ReduceInputChunk(jobId, feedId, results);
        } catch (WireFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new WireFormatException("not a reduce input record: " + e.getMessage(), e);
        }
    }

    private static byte[] encodeBatch(StatusBatch b) {
        BinaryOut out = new BinaryOut(64 + b.events().size() * 48);
        out.writeByte(VERSION).writeByte(STATUS_BATCH).writeUuid(b.jobId()).writeString(b.executorId()).writeInt(b.events().size());
        for (StatusEvent e : b.events()) {
            out.writeUuid(e.taskId())
                    .writeInt(e.attempt())
                    .writeByte(e.state().code())
                    .writeLong(e.timeMillis())
                    .writeBoolean(e.reduceRequired());
            if (e.state() == TaskState.SUCCEEDED) {
                out.writeBytes(e.result()).writeString(e.resultJson());
            } else if (e.state().isFailure()) {
                Failure f = e.failure();
                out.writeString(f.errorClass()).writeString(f.message()).writeString(f.stackTrace()).writeBoolean(f.retryable())
                        .writeLong(f.retryAfterMillis()).writeInt(f.sourcePartition()).writeLong(f.sourceOffset());
            }
        }
        return out.toByteArray();
    }

    private static StatusBatch decodeBatch(BinaryIn in) {
        UUID jobId = in.readUuid();
        String executorId = requireText(in.readString(), "executor id");
        int n = in.readCount("status event");
        List<StatusEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            UUID taskId = in.readUuid();
            int attempt = in.readInt();
            TaskState state = TaskState.ofCode(in.readByte());
            long time = in.readLong();
            boolean reduce = in.readBoolean();
            byte[] result = null;
            String json = null;
            Failure failure = null;
            if (state == TaskState.SUCCEEDED) {
                result = in.readBytes();
                json = in.readString();
            } else if (state.isFailure()) {
                failure = new Failure(requireText(in.readString(), "error class"), in.readString(), in.readString(), in.readBoolean(),
                        in.readLong(), in.readInt(), in.readLong());
            }
            events.add(new StatusEvent(taskId, attempt, state, time, reduce, result, json, failure));
        }
        return new StatusBatch(jobId, executorId, events);
    }

    private static byte[] encodeMap(MapRequest m) {
        int size = 64 + m.taskName().length() * 3;
        for (byte[] p : m.payloads()) {
            size += 4 + p.length;
        }
        BinaryOut out = new BinaryOut(size);
        out.writeByte(VERSION).writeByte(MAP_REQUEST)
                .writeUuid(m.jobId())
                .writeUuid(m.parentTaskId())
                .writeInt(m.mapCall())
                .writeLong(m.firstIndex())
                .writeString(m.taskName())
                .writeInt(m.payloads().size());
        for (byte[] p : m.payloads()) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static MapRequest decodeMap(BinaryIn in) {
        UUID jobId = in.readUuid();
        UUID parent = in.readUuid();
        int mapCall = in.readInt();
        long firstIndex = in.readLong();
        String taskName = requireText(in.readString(), "task name");
        int n = in.readCount("map request item");
        List<byte[]> payloads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] p = in.readBytes();
            if (p == null) {
                throw new WireFormatException("map request item " + i + " has no payload");
            }
            payloads.add(p);
        }
        return new MapRequest(jobId, parent, mapCall, firstIndex, taskName, payloads);
    }

    private static String requireText(String s, String what) {
        if (s == null || s.isEmpty()) {
            throw new WireFormatException("record has no " + what);
        }
        return s;
    }
}
