package io.fanout.shared.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobRequests;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkflowDefinitionsTest {

    private static WorkflowDefinition parse(String json) throws InvalidWorkflowException {
        return WorkflowDefinitions.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> reasons(String json) {
        return assertThrows(InvalidWorkflowException.class, () -> parse(json)).reasons();
    }

    private static void assertReason(String json, String expected) {
        List<String> reasons = reasons(json);
        assertTrue(reasons.stream().anyMatch(r -> r.contains(expected)), "expected a reason containing '" + expected + "', got " + reasons);
    }

    @Test
    void aDiamondReadsWithItsEdgesLeavesAndReferences() throws Exception {
        WorkflowDefinition d = parse("""
                {'name': 'diamond', 'nodes': [
                  {'name': 'a', 'job': {'processor': 'numbers', 'params': {'n': '${params.n}'}}},
                  {'name': 'b', 'job': {'processor': 'square', 'params': {'n': '${nodes.a.result}'}}},
                  {'name': 'c', 'job': {'processor': 'triple', 'params': {'x': '${nodes.a.result}'}}},
                  {'name': 'd', 'job': {'processor': 'add', 'params': {'values': ['${nodes.b.result}', '${nodes.c.result}']}}, 'trigger': 'all_done'}],
                 'edges': [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']]}""");
        assertEquals(List.of("b", "c"), d.upstream("d"));
        assertEquals(List.of("d"), d.leaves());
        assertEquals(TriggerRule.ALL_DONE, d.node("d").trigger());
        assertEquals(d.toJson(), WorkflowDefinitions.parse(d.toJson()).toJson(), "the stored form reads back the same");
    }

    @Test
    void aCycleIsRejectedWithItsPath() {
        assertReason("""
                {'name': 'loop', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}}, {'name': 'b', 'job': {'processor': 'p'}},
                                           {'name': 'c', 'job': {'processor': 'p'}}],
                 'edges': [['a', 'b'], ['b', 'c'], ['c', 'b']]}""", "cycle: b -> c -> b");
        assertReason("{'name': 'self', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}}], 'edges': [['a', 'a']]}", "cannot run after itself");
    }

    @Test
    void unknownNodesAndDuplicateNamesAreRejectedAllAtOnce() {
        List<String> reasons = reasons("""
                {'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}}, {'name': 'a', 'job': {'processor': 'q'}}],
                 'edges': [['a', 'x']]}""");
        assertTrue(reasons.stream().anyMatch(r -> r.contains("'a' is used twice")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(r -> r.contains("unknown node 'x'")), reasons.toString());
    }

    @Test
    void referencesMustNameNodesThatRunBefore() {
        assertReason("""
                {'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p', 'params': {'x': '${nodes.b.result}'}}},
                                        {'name': 'b', 'job': {'processor': 'p'}}],
                 'edges': [['a', 'b']]}""", "${nodes.b.result} names a node that does not run before it");
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p', 'params': {'x': '${nodes.zz.result}'}}}]}",
                "names an unknown node");
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p', 'params': {'x': '${node.b}'}}}]}", "malformed reference ${node.b}");
    }

    @Test
    void nodesThatCanNeverRunAreRejected() {
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}, 'trigger': 'one_failed'}]}", "a can never run");
        assertReason("""
                {'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}},
                                        {'name': 'b', 'job': {'processor': 'p'}, 'when': {'node': 'a', 'failed': true}}],
                 'edges': [['a', 'b']]}""", "b can never run: it runs only when a failed, which trigger all_success rules out");
        assertReason("""
                {'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}}, {'name': 'c', 'job': {'processor': 'p'}},
                                        {'name': 'b', 'job': {'processor': 'p'}, 'when': {'node': 'c', 'resultEquals': 1}}],
                 'edges': [['a', 'b']]}""", "which is not one of its upstream nodes");
    }

    @Test
    void nodeJobsAreCheckedAsJobRequests() {
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p', 'parallelism': -1}}]}", "node a: invalid job");
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p', 'key': 'k'}}]}", "no 'id' or 'key'");
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': '${params.p}'}}]}", "must be written out");
        assertReason("{'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}, 'trigger': 'sometimes'}]}", "unknown trigger rule 'sometimes'");
        assertReason("{'name': 'w', 'nodes': []}", "non-empty array");
    }

    @Test
    void theJavaBuilderMakesTheSameDefinition() throws Exception {
        WorkflowDefinition built = Workflows.define("w")
                .node("a", JobRequests.builder("p").build())
                .node("b", JobRequests.builder("q").params(Map.of("x", "${nodes.a.result}")).build(), TriggerRule.ALL_DONE,
                        Condition.resultEquals("a", 3), "a")
                .build();
        WorkflowDefinition read = parse("""
                {'name': 'w', 'nodes': [{'name': 'a', 'job': {'processor': 'p'}},
                  {'name': 'b', 'job': {'processor': 'q', 'params': {'x': '${nodes.a.result}'}}, 'trigger': 'all_done',
                   'when': {'node': 'a', 'resultEquals': 3}}],
                 'edges': [['a', 'b']]}""");
        assertEquals(Json.toText(read.toJson()), Json.toText(built.toJson()));
        assertThrows(IllegalArgumentException.class, () -> Workflows.define("w").node("a", JobRequests.builder("p").build(), "missing").build());
    }
}
