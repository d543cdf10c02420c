package io.fanout.shared.workflow;

/** Where one node of a workflow run stands. */
public enum NodeState {
    /** Waiting for its upstream nodes. */
    PENDING,
    /** Its job runs. */
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** Its job was cancelled, or the run was cancelled before it started. */
    CANCELLED,
    /** Its trigger rule can no longer be met because upstream nodes failed. */
    UPSTREAM_FAILED,
    /** Its trigger rule or its condition ruled it out without a failure (a branch not taken). */
    SKIPPED;

    public boolean isTerminal() {
        return this != PENDING && this != RUNNING;
    }

    /** Ended without a result, by a failure here or upstream: what trigger rules count as failed. */
    public boolean isFailure() {
        return this == FAILED || this == CANCELLED || this == UPSTREAM_FAILED;
    }
}
