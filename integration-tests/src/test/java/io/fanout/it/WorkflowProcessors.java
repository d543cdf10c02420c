package io.fanout.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;

/** Processors that executor processes load by class name (--processor NAME=CLASS) for workflow tests. */
public final class WorkflowProcessors {

    private WorkflowProcessors() {
    }

    /** Takes a moment, then returns 1 + the sum of its params' "inputs" (upstream results): a run's last result counts every path. */
    public static final class Step implements Processor {
        public static final String NAME = "step";

        @Override
        public Object process(TaskContext ctx) throws Exception {
            Thread.sleep(300);
            long sum = 1;
            JsonNode params = ctx.params(JsonNode.class);
            if (params != null) {
                for (JsonNode input : params.path("inputs")) {
                    sum += input.asLong();
                }
            }
            return sum;
        }
    }
}
