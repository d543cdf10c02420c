package io.fanout.shared.wire;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Reads what {@link BinaryOut} wrote; any truncation or corruption is a {@link WireFormatException}. */
final class BinaryIn {

    private final byte[] buf;
    private int pos;

    BinaryIn(byte[] buf) {
        if (buf == null) {
            throw new WireFormatException("record has no value");
        }
        this.buf = buf;
    }

    int readByte() {
        need(1);
        return buf[pos++];
    }

    boolean readBoolean() {
        return readByte() != 0;
    }

    int readInt() {
        need(4);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long readLong() {
        return ((long) readInt() << 32) | (readInt() & 0xffffffffL);
    }

    UUID readUuid() {
        return new UUID(readLong(), readLong());
    }

    UUID readNullableUuid() {
        return readBoolean() ? readUuid() : null;
    }

    byte[] readBytes() {
        int len = readInt();
        if (len == -1) {
            return null;
        }
        if (len < 0) {
            throw new WireFormatException("negative length " + len + " at byte " + (pos - 4));
        }
        need(len);
        byte[] v = new byte[len];
        System.arraycopy(buf, pos, v, 0, len);
        pos += len;
        return v;
    }

    String readString() {
        byte[] b = readBytes();
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Checks the leading version byte. */
    void expectVersion(int expected, String what) {
        int v = readByte();
        if (v != expected) {
            throw new WireFormatException(what + " has version " + v + ", this build reads version " + expected);
        }
    }

    /** Reads a version byte that must be between {@code oldest} and {@code newest}; returns it. */
    int readVersion(int oldest, int newest, String what) {
        int v = readByte();
        if (v < oldest || v > newest) {
            throw new WireFormatException(what + " has version " + v + ", this build reads versions " + oldest + " to " + newest);
        }
        return v;
    }

    void expectEnd(String what) {
        if (pos != buf.length) {
            throw new WireFormatException(what + " has " + (buf.length - pos) + " unexpected trailing bytes");
        }
    }

    /**
     * Reads the number of elements that follow. Each takes at least one byte, so a count larger than
     * what is left is corrupt: refused before anything is allocated for it.
     */
    int readCount(String what) {
        int n = readInt();
        if (n < 0 || n > buf.length - pos) {
            throw new WireFormatException(what + " count " + n + " at byte " + (pos - 4) + " does not fit the " + (buf.length - pos) + " bytes left");
        }
        return n;
    }

    private void need(int n) {
        if (n > buf.length - pos) { // not pos + n: that overflows for lengths near Integer.MAX_VALUE
            throw new WireFormatException("record truncated: needed " + n + " bytes at byte " + pos + " of " + buf.length);
        }
    }
}
