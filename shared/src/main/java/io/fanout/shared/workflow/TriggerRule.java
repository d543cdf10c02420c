package io.fanout.shared.workflow;

import java.util.Arrays;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * When a node runs, given how its upstream nodes ended (Airflow's names and meanings). A rule that
 * can no longer be met ends the node {@link NodeState#UPSTREAM_FAILED} when upstream failures are
 * the reason, {@link NodeState#SKIPPED} otherwise.
 */
public enum TriggerRule {
    /** Every upstream node succeeded (the default). */
    ALL_SUCCESS("all_success"),
    /** Every upstream node has ended, however. */
    ALL_DONE("all_done"),
    /** At least one upstream node failed (runs as soon as one has). */
    ONE_FAILED("one_failed"),
    /** At least one upstream node succeeded (runs as soon as one has). */
    ONE_SUCCESS("one_success"),
    /** Every upstream node has ended and none failed: succeeded or skipped. */
    NONE_FAILED("none_failed");

    /** What a rule says about a pending node. */
    public enum Verdict {
        WAIT, RUN, SKIP, UPSTREAM_FAILED
    }

    private final String jsonName;

    TriggerRule(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static TriggerRule of(String name) {
        for (TriggerRule r : values()) {
            if (r.jsonName.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown trigger rule '" + name + "' (known: "
                + Arrays.stream(values()).map(TriggerRule::jsonName).collect(Collectors.joining(", ")) + ")");
    }

    /** The verdict on a node whose upstream nodes are in {@code upstream} (a node without upstream nodes runs at once). */
    public Verdict decide(Collection<NodeState> upstream) {
        boolean allDone = upstream.stream().allMatch(NodeState::isTerminal);
        boolean anyFailed = upstream.stream().anyMatch(NodeState::isFailure);
        boolean anySucceeded = upstream.stream().anyMatch(s -> s == NodeState.SUCCEEDED);
        boolean allSucceeded = upstream.stream().allMatch(s -> s == NodeState.SUCCEEDED);
        return switch (this) {
            case ALL_SUCCESS -> allSucceeded ? Verdict.RUN : anyFailed ? Verdict.UPSTREAM_FAILED
                    : upstream.contains(NodeState.SKIPPED) ? Verdict.SKIP : Verdict.WAIT;
            case ALL_DONE -> allDone ? Verdict.RUN : Verdict.WAIT;
            case ONE_FAILED -> anyFailed ? Verdict.RUN : allDone ? Verdict.SKIP : Verdict.WAIT;
            case ONE_SUCCESS -> anySucceeded || upstream.isEmpty() ? Verdict.RUN : !allDone ? Verdict.WAIT
                    : anyFailed ? Verdict.UPSTREAM_FAILED : Verdict.SKIP;
            case NONE_FAILED -> anyFailed ? Verdict.UPSTREAM_FAILED : allDone ? Verdict.RUN : Verdict.WAIT;
        };
    }
}
