package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One node of a workflow: the job it runs (a job request without id or key, whose values may
 * reference upstream results and run parameters), when it runs, and an optional condition.
 */
public record WorkflowNode(String name, ObjectNode job, TriggerRule trigger, Condition when) {

    public String processor() {
        return job.path("processor").asText();
    }
}
