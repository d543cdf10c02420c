package io.fanout.it;

import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;

/** Processors that executor processes load by class name (--processor NAME=CLASS) for the CLI's tests. */
public final class CliProcessors {

    private CliProcessors() {
    }

    /** Each task takes 300 ms and returns nothing: a static fan-out of N items runs long enough to be watched, and cancelled. */
    public static final class Nap implements Processor {
        public static final String NAME = "nap";

        @Override
        public Object process(TaskContext ctx) throws Exception {
            Thread.sleep(300);
            return null;
        }
    }
}
