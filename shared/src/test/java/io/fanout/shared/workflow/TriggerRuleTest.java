package io.fanout.shared.workflow;

import static io.fanout.shared.workflow.NodeState.FAILED;
import static io.fanout.shared.workflow.NodeState.PENDING;
import static io.fanout.shared.workflow.NodeState.RUNNING;
import static io.fanout.shared.workflow.NodeState.SKIPPED;
import static io.fanout.shared.workflow.NodeState.SUCCEEDED;
import static io.fanout.shared.workflow.NodeState.UPSTREAM_FAILED;
import static io.fanout.shared.workflow.TriggerRule.Verdict.RUN;
import static io.fanout.shared.workflow.TriggerRule.Verdict.SKIP;
import static io.fanout.shared.workflow.TriggerRule.Verdict.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TriggerRuleTest {

    @Test
    void allSuccessWaitsForEveryUpstreamNodeAndFailsUpstreamOnAnyFailure() {
        assertEquals(RUN, TriggerRule.ALL_SUCCESS.decide(List.of(SUCCEEDED, SUCCEEDED)));
        assertEquals(WAIT, TriggerRule.ALL_SUCCESS.decide(List.of(SUCCEEDED, RUNNING)));
        assertEquals(TriggerRule.Verdict.UPSTREAM_FAILED, TriggerRule.ALL_SUCCESS.decide(List.of(FAILED, RUNNING)));
        assertEquals(TriggerRule.Verdict.UPSTREAM_FAILED, TriggerRule.ALL_SUCCESS.decide(List.of(UPSTREAM_FAILED, SUCCEEDED)));
        assertEquals(SKIP, TriggerRule.ALL_SUCCESS.decide(List.of(SKIPPED, SUCCEEDED)));
        assertEquals(RUN, TriggerRule.ALL_SUCCESS.decide(List.of()));
    }

    @Test
    void allDoneRunsOnceEveryUpstreamNodeHasEndedHowever() {
        assertEquals(RUN, TriggerRule.ALL_DONE.decide(List.of(FAILED, SKIPPED, SUCCEEDED)));
        assertEquals(WAIT, TriggerRule.ALL_DONE.decide(List.of(FAILED, PENDING)));
    }

    @Test
    void oneFailedRunsAtTheFirstFailureAndIsSkippedIfNoneFails() {
        assertEquals(RUN, TriggerRule.ONE_FAILED.decide(List.of(FAILED, RUNNING)));
        assertEquals(WAIT, TriggerRule.ONE_FAILED.decide(List.of(SUCCEEDED, RUNNING)));
        assertEquals(SKIP, TriggerRule.ONE_FAILED.decide(List.of(SUCCEEDED, SKIPPED)));
    }

    @Test
    void oneSuccessRunsAtTheFirstSuccess() {
        assertEquals(RUN, TriggerRule.ONE_SUCCESS.decide(List.of(SUCCEEDED, RUNNING)));
        assertEquals(WAIT, TriggerRule.ONE_SUCCESS.decide(List.of(FAILED, RUNNING)));
        assertEquals(TriggerRule.Verdict.UPSTREAM_FAILED, TriggerRule.ONE_SUCCESS.decide(List.of(FAILED, SKIPPED)));
        assertEquals(SKIP, TriggerRule.ONE_SUCCESS.decide(List.of(SKIPPED, SKIPPED)));
    }

    @Test
    void noneFailedTakesSkippedAsFine() {
        assertEquals(RUN, TriggerRule.NONE_FAILED.decide(List.of(SUCCEEDED, SKIPPED)));
        assertEquals(TriggerRule.Verdict.UPSTREAM_FAILED, TriggerRule.NONE_FAILED.decide(List.of(SUCCEEDED, FAILED)));
        assertEquals(WAIT, TriggerRule.NONE_FAILED.decide(List.of(SUCCEEDED, RUNNING)));
    }
}
