package io.fanout.coordinator.outbox;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The owed tasks of an outbox row as runs of neighbouring ids, in bytes: a map's children have
 * ids that differ only in their item index ({@code TaskIds.children}), so the tasks a transaction
 * dispatches are mostly a few runs of one job, stored in a few dozen bytes that PostgreSQL neither
 * parses nor compresses (as {@code uuid[]}, two ids a task were a quarter of the loop's writes).
 * A run is (job id, first task id, count): its tasks' ids are the first one's with the low 64 bits
 * counting up.
 */
final class TaskRuns {

    private static final int RUN_BYTES = 16 + 16 + 4;

    private TaskRuns() {
    }

    /** The tasks {@code (jobs[i], tasks[i])}, in order, as runs. */
    static byte[] encode(List<UUID> jobs, List<UUID> tasks) {
        if (jobs.size() != tasks.size()) {
            throw new IllegalArgumentException(jobs.size() + " jobs for " + tasks.size() + " tasks");
        }
        List<int[]> runs = new ArrayList<>(); // {start index, count}
        for (int i = 0; i < tasks.size(); i++) {
            int[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && follows(jobs, tasks, last[0] + last[1] - 1, i)) {
                last[1]++;
            } else {
                runs.add(new int[] {i, 1});
            }
        }
        ByteBuffer b = ByteBuffer.allocate(runs.size() * RUN_BYTES);
        for (int[] run : runs) {
            put(b, jobs.get(run[0]));
            put(b, tasks.get(run[0]));
            b.putInt(run[1]);
        }
        return b.array();
    }

    /** Appends the tasks of {@code runs} to {@code jobs} and {@code tasks}, in order. */
    static void decode(byte[] runs, List<UUID> jobs, List<UUID> tasks) {
        if (runs.length % RUN_BYTES != 0) {
            throw new IllegalArgumentException("owed task runs of " + runs.length + " bytes: not a whole number of runs");
        }
        ByteBuffer b = ByteBuffer.wrap(runs);
        while (b.hasRemaining()) {
            UUID job = new UUID(b.getLong(), b.getLong());
            long high = b.getLong();
            long low = b.getLong();
            int count = b.getInt();
            for (int i = 0; i < count; i++) {
                jobs.add(job);
                tasks.add(new UUID(high, low + i));
            }
        }
    }

    private static boolean follows(List<UUID> jobs, List<UUID> tasks, int previous, int next) {
        UUID a = tasks.get(previous);
        UUID b = tasks.get(next);
        return jobs.get(previous).equals(jobs.get(next)) && a.getMostSignificantBits() == b.getMostSignificantBits()
                && a.getLeastSignificantBits() + 1 == b.getLeastSignificantBits();
    }

    private static void put(ByteBuffer b, UUID id) {
        b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    }
}
