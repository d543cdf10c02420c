package io.fanout.examples;

import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import java.util.AbstractList;

/**
 * Does nothing, fast: for measuring Fanout's own overhead. With params {@code {"tasks": N}} the
 * root task maps N empty subtasks (generated lazily, never held in a list); without, the job is
 * one task.
 */
public final class NoOp implements Processor {

    public static final String NAME = "noop";

    public record Params(int tasks) {
    }

    @Override
    public Object process(TaskContext ctx) {
        if (ctx.isRoot()) {
            Params p = ctx.params(Params.class);
            if (p != null && p.tasks() > 0) {
                return ctx.map(new Indexes(p.tasks()), "noop");
            }
        }
        return null;
    }

    /** 0..n-1 without storing them. */
    private static final class Indexes extends AbstractList<Integer> {
        private final int n;

        Indexes(int n) {
            this.n = n;
        }

        @Override
        public Integer get(int i) {
            return i;
        }

        @Override
        public int size() {
            return n;
        }
    }
}
