package io.fanout.coordinator.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
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

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    private int rows;

    BinaryCopy() {
        out.writeBytes(SIGNATURE);
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

    BinaryCopy bool(boolean v) {
        writeInt(1);
        out.write(v ? 1 : 0);
        return this;
    }

    BinaryCopy text(String v) {
        return v == null ? nul() : bytea(v.getBytes(StandardCharsets.UTF_8));
    }

    BinaryCopy bytea(byte[] v) {
        if (v == null) {
            return nul();
        }
        writeInt(v.length);
        out.writeBytes(v);
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

    /** Sends the rows with {@code COPY table (columns) FROM STDIN (FORMAT binary)}. */
    void copyInto(Connection conn, String tableAndColumns) throws SQLException {
        writeShort(-1);
        try {
            conn.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + tableAndColumns + " FROM STDIN (FORMAT binary)", new java.io.ByteArrayInputStream(out.toByteArray()));
        } catch (IOException e) {
            throw new SQLException("COPY into " + tableAndColumns + " failed: " + e.getMessage(), e);
        }
    }

    private BinaryCopy nul() {
        writeInt(-1);
        return this;
    }

    private void writeShort(int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    private void writeInt(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private void writeLong(long v) {
        writeInt((int) (v >>> 32));
        writeInt((int) v);
    }
}
