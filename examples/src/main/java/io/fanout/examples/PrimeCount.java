package io.fanout.examples;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the primes below a limit: the root task maps the range into slices, each subtask sieves
 * its slice, and the reduce adds the counts up. The answer is easy to check (below 20,000,000
 * there are 1,270,607 primes).
 *
 * <p>Params: {@code {"limit": 20000000, "slices": 2000}}.
 */
public final class PrimeCount implements MapReduceProcessor {

    public static final String NAME = "primes";
    /** The largest slice one subtask sieves (it holds one byte per number). */
    static final long MAX_SLICE = 100_000_000;

    /** The job's params. */
    public record Params(long limit, int slices) {
    }

    /** One subtask: count the primes in [from, to). */
    public record Slice(long from, long to) {
    }

    @Override
    public Object process(TaskContext ctx) {
        if (ctx.isRoot()) {
            Params p = ctx.params(Params.class);
            if (p == null || p.limit() < 2 || p.slices() < 1) {
                throw new IllegalArgumentException("params must be {\"limit\": >= 2, \"slices\": >= 1}, got " + p);
            }
            if ((p.limit() + p.slices() - 1) / p.slices() > MAX_SLICE) {
                throw new IllegalArgumentException("slices of more than " + MAX_SLICE + " numbers are too large: use at least "
                        + (p.limit() + MAX_SLICE - 1) / MAX_SLICE + " slices for a limit of " + p.limit());
            }
            return ctx.map(slices(p.limit(), p.slices()), "count-slice");
        }
        Slice s = ctx.payload(Slice.class);
        return countPrimes(s.from(), s.to());
    }

    @Override
    public Object reduce(TaskContext ctx, TaskResults results) {
        long total = 0;
        for (Object r : results) {
            total += (Long) r;
        }
        return total;
    }

    @Override
    public List<Class<?>> payloadTypes() {
        return List.of(Slice.class);
    }

    static List<Slice> slices(long limit, int slices) {
        List<Slice> list = new ArrayList<>(slices);
        long step = Math.max(1, (limit + slices - 1) / slices);
        for (long from = 0; from < limit; from += step) {
            list.add(new Slice(from, Math.min(limit, from + step)));
        }
        return list;
    }

    /** Segmented sieve of Eratosthenes over [from, to). */
    public static long countPrimes(long from, long to) {
        long lo = Math.max(2, from);
        if (lo >= to) {
            return 0;
        }
        int root = (int) Math.sqrt((double) to) + 1;
        boolean[] small = new boolean[root + 1];
        boolean[] composite = new boolean[(int) (to - lo)];
        for (int p = 2; p <= root; p++) {
            if (small[p]) {
                continue;
            }
            for (long m = (long) p * p; m <= root; m += p) {
                small[(int) m] = true;
            }
            long start = Math.max((long) p * p, ((lo + p - 1) / p) * p);
            for (long m = start; m < to; m += p) {
                composite[(int) (m - lo)] = true;
            }
        }
        long count = 0;
        for (boolean c : composite) {
            if (!c) {
                count++;
            }
        }
        return count;
    }
}
