package io.fanout.coordinator.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.UUID;
import org.postgresql.PGConnection;

/**
 * Rows in PostgreSQL's binary COPY format, sent in one round trip: the fastest way to load a
 * batch of tasks or status events into a staging table.
 */
final class BinaryCopy {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    /** PostgreSQL counts timestamps in microseconds from 2000-01-01. */
    private static final long PG_EPOCH_MILLIS = 946_684_800_000L;
    /** The end of the data: a field count of -1. */
    private static final byte[] TRAILER = {(byte) 0xff, (byte) 0xff};

    private byte[] buf = new byte[1 << 16];
    private int size;
    private int rows;

    BinaryCopy() {
        writeBytes(SIGNATURE);
        writeInt(0); // flags
        writeInt(0); // header extension length
    }

    BinaryCopy row(int fields) {
        writeShort(fields);
        rows++;
        return this;
    }

    BinaryCopy uuid(UUID v) {
        if (v == null) {
            return nul();
        }
        writeInt(16);
        writeLong(v.getMostSignificantBits());
        writeLong(v.getLeastSignificantBits());
        return this;
    }

    BinaryCopy int2(int v) {
        writeInt(2);
        writeShort(v);
        return this;
    }

    BinaryCopy int4(int v) {
        writeInt(4);
        writeInt(v);
        return this;
    }

    BinaryCopy int8(long v) {
        writeInt(8);
        writeLong(v);
        return this;
    }

    BinaryCopy bool(boolean v) {
        writeInt(1);
        ensure(1);
        buf[size++] = (byte) (v ? 1 : 0);
        return this;
    }

    /** A text value; NUL characters, which PostgreSQL text cannot hold, become U+FFFD. */
    BinaryCopy text(String v) {
        if (v == null) {
            return nul();
        }
        return bytea(storable(v).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code v} as PostgreSQL text can hold it: NUL characters become U+FFFD (null stays null). */
    static String storable(String v) {
        return v == null || v.indexOf('\0') < 0 ? v : v.replace('\0', '\uFFFD');
    }

    BinaryCopy bytea(byte[] v) {
        if (v == null) {
            return nul();
        }
        writeInt(v.length);
        writeBytes(v);
        return this;
    }

    /** A timestamptz from epoch milliseconds; zero or less is NULL. */
    BinaryCopy timestamp(long epochMillis) {
        if (epochMillis <= 0) {
            return nul();
        }
        writeInt(8);
        writeLong((epochMillis - PG_EPOCH_MILLIS) * 1000);
        return this;
    }

    int rows() {
        return rows;
    }

    /** Sends the rows with {@code COPY table (columns) FROM STDIN (FORMAT binary)}; may be called again (e.g. into another table). */
    void copyInto(Connection conn, String tableAndColumns) throws SQLException {
        try {
            conn.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + tableAndColumns + " FROM STDIN (FORMAT binary)",
                    new SequenceInputStream(new ByteArrayInputStream(buf, 0, size), new ByteArrayInputStream(TRAILER)));
        } catch (IOException e) {
            throw new SQLException("COPY into " + tableAndColumns + " failed: " + e.getMessage(), e);
        }
    }

    private BinaryCopy nul() {
        writeInt(-1);
        return this;
    }

    private void writeShort(int v) {
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
    }

    private void writeInt(int v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
    }

    private void writeBytes(byte[] v) {
        ensure(v.length);
        System.arraycopy(v, 0, buf, size, v.length);
        size += v.length;
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }

    private void writeLong(long v) {
        writeInt((int) (v >>> 32));
        writeInt((int) v);
    }
}
