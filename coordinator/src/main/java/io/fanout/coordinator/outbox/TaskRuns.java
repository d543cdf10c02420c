package io.fanout.coordinator.outbox;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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

    /** The tasks {@code (jobs[i], tasks[i])} as runs, in job and task id order (the order given is not kept). */
    static byte[] encode(List<UUID> jobs, List<UUID> tasks) {
        if (jobs.size() != tasks.size()) {
            throw new IllegalArgumentException(jobs.size() + " jobs for " + tasks.size() + " tasks");
        }
        Integer[] order = new Integer[tasks.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparing((Integer i) -> jobs.get(i)).thenComparing(tasks::get));
        List<int[]> runs = new ArrayList<>(); // {first task's index in the lists, count}
        int previous = -1;
        for (int i : order) {
            if (previous >= 0 && follows(jobs, tasks, previous, i)) {
                runs.get(runs.size() - 1)[1]++;
            } else {
                runs.add(new int[] {i, 1});
            }
            previous = i;
        }
        ByteBuffer b = ByteBuffer.allocate(runs.size() * RUN_BYTES);
        for (int[] run : runs) {
            put(b, jobs.get(run[0]));
            put(b, tasks.get(run[0]));
            b.putInt(run[1]);
        }
        return b.array();
    }

    /** Appends the tasks of {@code runs} to {@code jobs} and {@code tasks}. */
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
