package io.fanout.shared.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/** A growable big-endian buffer for the compact internal record formats. */
final class BinaryOut {

    private byte[] buf;
    private int size;

    BinaryOut(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    BinaryOut writeByte(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    BinaryOut writeBoolean(boolean v) {
        return writeByte(v ? 1 : 0);
    }

    BinaryOut writeInt(int v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    BinaryOut writeLong(long v) {
        writeInt((int) (v >>> 32));
        return writeInt((int) v);
    }

    BinaryOut writeUuid(UUID v) {
        return writeLong(v.getMostSignificantBits()).writeLong(v.getLeastSignificantBits());
    }

    /** A nullable UUID: a presence byte, then the UUID. */
    BinaryOut writeNullableUuid(UUID v) {
        writeBoolean(v != null);
        return v == null ? this : writeUuid(v);
    }

    /** A nullable byte array: length (-1 for null), then the bytes. */
    BinaryOut writeBytes(byte[] v) {
        if (v == null) {
            return writeInt(-1);
        }
        writeInt(v.length);
        ensure(v.length);
        System.arraycopy(v, 0, buf, size, v.length);
        size += v.length;
        return this;
    }

    BinaryOut writeString(String v) {
        return writeBytes(v == null ? null : v.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }
}
