package io.fanout.coordinator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This coordinator's claim on its partitions, fenced by epochs in PostgreSQL. Kafka's group
 * protocol decides who owns a partition; this makes sure that a coordinator that has lost one
 * (a long GC pause, a network partition from Kafka) cannot write its jobs' state any more: the new
 * owner increments the partition's epoch, and {@link #check} in every writing transaction refuses
 * a stale epoch. The check share-locks the partition rows until the transaction ends, so a
 * takeover waits for a write in progress and never interleaves with it.
 */
public final class PartitionOwnership {

    /** A write was refused: another coordinator owns these partitions now. */
    public static final class LostException extends RuntimeException {
        private final Set<Integer> partitions;

        LostException(Set<Integer> partitions) {
            super("partitions " + partitions + " are owned by another coordinator now");
            this.partitions = partitions;
        }

        public Set<Integer> partitions() {
            return partitions;
        }
    }

    private final String owner;
    private final Map<Integer, Long> epochs = new ConcurrentHashMap<>();

    public PartitionOwnership(String owner) {
        this.owner = owner;
    }

    /** Takes over these partitions: one new epoch each, committed before any of their jobs is written. */
    public void claim(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_partition_owner AS o (partition, owner, epoch) VALUES (?, ?, 1)
                ON CONFLICT (partition) DO UPDATE SET owner = excluded.owner, epoch = o.epoch + 1, since = now()
                RETURNING epoch""")) {
            for (int p : new TreeSet<>(partitions)) { // a fixed order: two claimants never deadlock
                ps.setInt(1, p);
                ps.setString(2, owner);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    epochs.put(p, rs.getLong(1));
                }
            }
        }
    }

    /** Forgets partitions given up (revoked or lost). */
    public void release(Collection<Integer> partitions) {
        partitions.forEach(epochs::remove);
    }

    /**
     * Inside a writing transaction: whether this coordinator still owns every one of these
     * partitions at the epoch it claimed. Throws {@link LostException} if not.
     */
    public void check(Connection conn, Collection<Integer> partitions) throws SQLException {
        if (partitions.isEmpty()) {
            return;
        }
        Map<Integer, Long> current = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT partition, epoch FROM fanout_partition_owner WHERE partition = ANY (?) FOR SHARE")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    current.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        verify(partitions, current);
    }

    /** Throws {@link LostException} naming the partitions whose current epoch is not the one claimed. */
    private void verify(Collection<Integer> partitions, Map<Integer, Long> current) {
        Set<Integer> lost = new TreeSet<>();
        for (int p : partitions) {
            Long mine = epochs.get(p);
            if (mine == null || !mine.equals(current.get(p))) {
                lost.add(p);
            }
        }
        if (!lost.isEmpty()) {
            throw new LostException(lost);
        }
    }

    /**
     * As {@link #check}, for a transaction that may not have written: one that wrote nothing (it has
     * no transaction id yet) has nothing to fence, and checks nothing, so it takes no lock and its
     * commit flushes no WAL. Housekeeping rounds that find nothing to do cost reads only.
     */
    public void checkIfWritten(Connection conn, Collection<Integer> partitions) throws SQLException {
        if (partitions.isEmpty()) {
            return;
        }
        // one round trip: the owner rows are read (and locked) only if the transaction has written
        boolean written = false;
        Map<Integer, Long> current = new HashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT pg_current_xact_id_if_assigned() IS NOT NULL, o.partition, o.epoch FROM (VALUES (1)) AS one
                LEFT JOIN LATERAL (SELECT partition, epoch FROM fanout_partition_owner
                                   WHERE pg_current_xact_id_if_assigned() IS NOT NULL AND partition = ANY (?) FOR SHARE) AS o ON true""")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    written = rs.getBoolean(1);
                    if (rs.getObject(2) != null) {
                        current.put(rs.getInt(2), rs.getLong(3));
                    }
                }
            }
        }
        if (written) {
            verify(partitions, current);
        }
    }

    /** The partitions this coordinator holds a claim on. */
    public Set<Integer> owned() {
        return new TreeSet<>(epochs.keySet());
    }

    public String owner() {
        return owner;
    }
}
