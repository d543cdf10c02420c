package io.fanout.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A small batch of rows bound to a prepared statement as one array per column (for {@code
 * unnest(?::uuid[], ?::text[], ...)}): one round trip and a plan the server keeps, where a COPY
 * needs a staging table and several. Text is stored as {@link BinaryCopy} stores it, so both
 * paths keep the same values.
 */
final class ColumnArrays {

    /** Batches of up to this many rows are bound as arrays; larger ones are copied (COPY's setup pays off only for many rows). */
    static final int UP_TO = 256;

    private final String[] types;
    private final Object[][] columns;
    private int rows;

    /** {@code types}: each column's PostgreSQL element type ({@code uuid}, {@code text}, {@code int8}, {@code bytea}...). */
    ColumnArrays(int capacity, String... types) {
        this.types = types;
        this.columns = new Object[types.length][];
        for (int c = 0; c < types.length; c++) {
            columns[c] = types[c].equals("bytea") ? new byte[capacity][] : new Object[capacity];
        }
    }

    /** Adds a row: one value per column, in the order of the types. */
    void row(Object... values) {
        if (values.length != types.length) {
            throw new IllegalArgumentException("a row of " + values.length + " values for " + types.length + " columns");
        }
        for (int c = 0; c < values.length; c++) {
            columns[c][rows] = types[c].equals("text") ? BinaryCopy.storable((String) values[c]) : values[c];
        }
        rows++;
    }

    /** Binds the columns to the statement's parameters 1 to the number of columns. */
    void bind(Connection conn, PreparedStatement ps) throws SQLException {
        for (int c = 0; c < types.length; c++) {
            Object[] column = columns[c];
            if (rows < column.length) {
                column = java.util.Arrays.copyOf(column, rows);
            }
            ps.setArray(c + 1, conn.createArrayOf(types[c], column));
        }
    }
}
