package io.fanout.shared.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every decoder turns any byte string into a value or a {@link WireFormatException}, allocating
 * no more than a small multiple of the record's own size (plus a megabyte for the exception): a garbage record is dead-lettered, never
 * an OutOfMemoryError that ends the thread reading it. 25,000 random and mutated records per
 * decoder.
 */
class WireDecoderFuzzTest {

    private static final UUID JOB = UUID.fromString("7b0e3c1e-6a55-4bd4-9b1a-3c2f57f0a001");
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static final byte[] TASK = WireCodec.encodeTask(new TaskRecord(JOB, UUID.randomUUID(), JOB, 1, 3, TaskKind.MAPPED, "squares",
            "square", PayloadFormat.KRYO, new byte[] {1, 2, 3, 4}, 5000, 1_700_000_000_000L, List.of("java.lang.IllegalStateException"), null));
    private static final byte[] REDUCE_TASK = WireCodec.encodeTask(new TaskRecord(JOB, UUID.randomUUID(), null, 0, 3, TaskKind.REDUCE, "squares",
            TaskKind.REDUCE_TASK_NAME, PayloadFormat.NONE, null, 0, 0, List.of(), new ReduceInputRange(2, 10, 20, 300, UUID.randomUUID())));
    private static final byte[] SLICE = WireCodec.encodeSlice(List.of(
            new TaskRecord(JOB, UUID.randomUUID(), JOB, 0, 3, TaskKind.MAPPED, "squares", "square", PayloadFormat.KRYO, new byte[] {1, 2}, 5000,
                    1_700_000_000_000L, List.of("java.lang.IllegalStateException"), null),
            new TaskRecord(JOB, UUID.randomUUID(), null, 2, 3, TaskKind.MAPPED, "squares", "item", PayloadFormat.JSON, new byte[0], 5000,
                    1_700_000_000_000L, List.of("java.lang.IllegalStateException"), null)));
    private static final byte[] STATUS = WireCodec.encodeStatus(new StatusBatch(JOB, "executor-1", List.of(
            StatusEvent.received(UUID.randomUUID(), 0, 1),
            StatusEvent.succeeded(UUID.randomUUID(), 0, 2, false, new byte[] {5, 6}, null),
            StatusEvent.failed(UUID.randomUUID(), 1, 3, new Failure("java.lang.IllegalStateException", "broken", "at x", true, 10, 2, 7)))));
    private static final byte[] MAP = WireCodec.encodeStatus(new MapRequest(JOB, UUID.randomUUID(), 0, 0, "square",
            List.of(new byte[] {1}, new byte[] {2, 3})));
    private static final byte[] CHUNK = WireCodec.encodeReduceInput(new ReduceInputChunk(JOB, UUID.randomUUID(),
            List.of(new byte[] {7, 8}, new byte[0])));

    @Property(tries = 25_000)
    void taskRecords(@ForAll("taskRecords") byte[] record) {
        decodesOrRefuses(record, WireCodec::decodeTask);
        decodesOrRefuses(record, WireCodec::decodeTasks);
    }

    @Property(tries = 25_000)
    void statusRecords(@ForAll("statusRecords") byte[] record) {
        decodesOrRefuses(record, WireCodec::decodeStatus);
    }

    @Property(tries = 25_000)
    void reduceInputRecords(@ForAll("reduceInputRecords") byte[] record) {
        decodesOrRefuses(record, WireCodec::decodeReduceInput);
    }

    @Property(tries = 25_000)
    void anyRecordThroughEveryDecoder(@ForAll("anyRecord") byte[] record) {
        decodesOrRefuses(record, WireCodec::decodeTask);
        decodesOrRefuses(record, WireCodec::decodeTasks);
        decodesOrRefuses(record, WireCodec::decodeStatus);
        decodesOrRefuses(record, WireCodec::decodeReduceInput);
    }

    private static void decodesOrRefuses(byte[] record, Function<byte[], ?> decoder) {
        long threadId = Thread.currentThread().threadId();
        long before = THREADS.getThreadAllocatedBytes(threadId);
        try {
            decoder.apply(record);
        } catch (WireFormatException expected) {
            // refused with the one exception the readers handle
        } catch (Throwable e) {
            fail("a " + record.length + "-byte record made the decoder throw " + e + " instead of a WireFormatException: " + Arrays.toString(record), e);
        }
        long allocated = THREADS.getThreadAllocatedBytes(threadId) - before;
        assertTrue(allocated <= 64L * record.length + (1 << 20),
                () -> "decoding a " + record.length + "-byte record allocated " + allocated + " bytes: " + Arrays.toString(record));
    }

    @Provide
    Arbitrary<byte[]> taskRecords() {
        return Arbitraries.oneOf(mutated(TASK), mutated(REDUCE_TASK), mutated(SLICE), random());
    }

    @Provide
    Arbitrary<byte[]> statusRecords() {
        return Arbitraries.oneOf(mutated(STATUS), mutated(MAP), random());
    }

    @Provide
    Arbitrary<byte[]> reduceInputRecords() {
        return Arbitraries.oneOf(mutated(CHUNK), random());
    }

    @Provide
    Arbitrary<byte[]> anyRecord() {
        return Arbitraries.oneOf(mutated(TASK), mutated(REDUCE_TASK), mutated(SLICE), mutated(STATUS), mutated(MAP), mutated(CHUNK), random());
    }

    private static Arbitrary<byte[]> random() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    }

    /** A valid record with a random change: bytes flipped, a length or count overwritten (often near the int limits), cut short or extended. */
    private static Arbitrary<byte[]> mutated(byte[] valid) {
        Arbitrary<Integer> at = Arbitraries.integers().between(0, valid.length - 1);
        Arbitrary<Integer> ints = Arbitraries.oneOf(Arbitraries.integers(),
                Arbitraries.of(Integer.MAX_VALUE, Integer.MAX_VALUE - 8, Integer.MIN_VALUE, -1, -2, 0, 1 << 30, valid.length));
        Arbitrary<byte[]> flipped = Combinators.combine(at, Arbitraries.bytes()).as((i, b) -> {
            byte[] r = valid.clone();
            r[i] = b;
            return r;
        });
        Arbitrary<byte[]> intWritten = Combinators.combine(at, ints).as((i, v) -> {
            byte[] r = valid.clone();
            for (int k = 0; k < 4 && i + k < r.length; k++) {
                r[i + k] = (byte) (v >>> (24 - 8 * k));
            }
            return r;
        });
        Arbitrary<byte[]> cut = at.map(n -> Arrays.copyOf(valid, n));
        Arbitrary<byte[]> extended = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16).map(tail -> {
            byte[] r = Arrays.copyOf(valid, valid.length + tail.length);
            System.arraycopy(tail, 0, r, valid.length, tail.length);
            return r;
        });
        return Arbitraries.oneOf(flipped, intWritten, cut, extended);
    }
}
