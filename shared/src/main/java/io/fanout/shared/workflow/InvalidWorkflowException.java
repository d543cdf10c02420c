package io.fanout.shared.workflow;

import java.util.List;

/** A workflow definition or run request that cannot be accepted, with every reason found. */
public final class InvalidWorkflowException extends Exception {

    private final List<String> reasons;

    public InvalidWorkflowException(List<String> reasons) {
        super(String.join("; ", reasons));
        this.reasons = List.copyOf(reasons);
    }

    public InvalidWorkflowException(String reason) {
        this(List.of(reason));
    }

    public List<String> reasons() {
        return reasons;
    }
}
