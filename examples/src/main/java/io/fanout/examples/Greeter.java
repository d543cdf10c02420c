package io.fanout.examples;

import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;

/** A basic processor: one task per job, whose return value is the job's result. Params: {@code {"name": "..."}}. */
public final class Greeter implements Processor {

    public static final String NAME = "greet";

    public record Params(String name) {
    }

    @Override
    public Object process(TaskContext ctx) {
        Params p = ctx.params(Params.class);
        return "hello, " + (p == null || p.name() == null ? "world" : p.name());
    }
}
