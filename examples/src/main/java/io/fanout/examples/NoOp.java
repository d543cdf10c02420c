package io.fanout.examples;

import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import java.util.AbstractList;

/**
 * Does nothing, fast: for measuring Fanout's own overhead. With params {@code {"tasks": N}} the
 * root task maps N empty subtasks (generated lazily, never held in a list); without, the job is
 * one task. With {@code "sleepMs": M} each subtask waits M ms, like a task that calls a remote
 * service: work bound by waiting, not by CPU.
 */
public final class NoOp implements Processor {

    public static final String NAME = "noop";

    public record Params(int tasks, int sleepMs) {
        public Params(int tasks) {
            this(tasks, 0);
        }
    }

    @Override
    public Object process(TaskContext ctx) throws InterruptedException {
        if (ctx.isRoot()) {
            Params p = ctx.params(Params.class);
            if (p != null && p.tasks() > 0) {
                return ctx.map(new Repeated(p.tasks(), p.sleepMs()), "noop");
            }
            return null;
        }
        Integer sleepMs = ctx.payload(Integer.class);
        if (sleepMs != null && sleepMs > 0) {
            Thread.sleep(sleepMs);
        }
        return null;
    }

    /** The same value n times, without storing it n times. */
    private static final class Repeated extends AbstractList<Integer> {
        private final int n;
        private final int value;

        Repeated(int n, int value) {
            this.n = n;
            this.value = value;
        }

        @Override
        public Integer get(int i) {
            return value;
        }

        @Override
        public int size() {
            return n;
        }
    }
}
