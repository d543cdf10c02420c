package io.fanout.it;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/** Processors whose results tests can check exactly. */
final class TestProcessors {

    private TestProcessors() {
    }

    /** The sum of a reduce's results (all Longs). */
    static long sum(TaskResults results) {
        long sum = 0;
        for (Object r : results) {
            sum += (Long) r;
        }
        return sum;
    }

    /** Root maps 1..n; each subtask returns i*i; reduce returns the sum. Params: {"n": N}. */
    static final class SumOfSquares implements MapReduceProcessor {
        record Params(int n) {
        }

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                int n = ctx.params(Params.class).n();
                Iterable<Integer> items = () -> IntStream.rangeClosed(1, n).boxed().iterator();
                return ctx.map(items, "square");
            }
            long i = ctx.payload(Integer.class);
            return i * i;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            long sum = 0;
            long seen = 0;
            for (Object r : results) {
                sum += (Long) r;
                seen++;
            }
            if (seen != results.count()) {
                throw new IllegalStateException("saw " + seen + " results, expected " + results.count());
            }
            return sum;
        }

        static long expected(int n) {
            return LongStream.rangeClosed(1, n).map(i -> i * i).sum();
        }
    }

    /** Two levels of maps: root maps groups, each group maps leaves; reduce sums the leaves. Params: {"groups": G, "leaves": L}. */
    static final class NestedSum implements MapReduceProcessor {
        record Params(int groups, int leaves) {
        }

        record Group(int index, int leaves) {
        }

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                Params p = ctx.params(Params.class);
                return ctx.map(IntStream.range(0, p.groups()).mapToObj(g -> new Group(g, p.leaves())).toList(), "group");
            }
            if (ctx.taskName().equals("group")) {
                Group g = ctx.payload(Group.class);
                ctx.map(IntStream.range(0, g.leaves()).mapToObj(l -> (long) g.index() * 1000 + l).toList(), "leaf");
                return null;
            }
            return ctx.payload(Long.class);
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            long sum = 0;
            for (Object r : results) {
                if (r != null) {
                    sum += (Long) r;
                }
            }
            return sum;
        }

        @Override
        public List<Class<?>> payloadTypes() {
            return List.of(Group.class);
        }
    }

    /** Static fan-out items are numbers; each subtask returns its square; reduce sums. */
    static final class SquareItems implements MapReduceProcessor {
        @Override
        public Object process(TaskContext ctx) {
            long v = ctx.payload(Long.class);
            return v * v;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            long sum = 0;
            for (Object r : results) {
                sum += (Long) r;
            }
            return sum;
        }
    }

    /** Maps an object of a class it did not declare. */
    static final class MapsUnregistered implements Processor {
        record Undeclared(int x) {
        }

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                ctx.map(List.of(new Undeclared(1)), "x");
            }
            return null;
        }
    }

    /** Maps with a reserved task name. */
    static final class MapsReservedName implements Processor {
        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                ctx.map(List.of(1), "fanout:reduce");
            }
            return null;
        }
    }
}
