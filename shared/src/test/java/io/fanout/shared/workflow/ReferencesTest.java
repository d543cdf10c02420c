package io.fanout.shared.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.shared.json.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferencesTest {

    private static JsonNode json(String s) {
        return Json.readTree(s.replace('\'', '"'));
    }

    @Test
    void aWholeStringReferenceBecomesTheValueAndAnEmbeddedOneItsText() throws Exception {
        JsonNode template = json("{'n': '${nodes.a.result}', 'rows': '${nodes.a.result.rows}', 'label': 'day ${params.date}: ${nodes.a.result.rows}', "
                + "'list': ['${nodes.b.result}', 1], 'date': '${params.date}', 'missing': '${nodes.c.result.x}'}");
        JsonNode resolved = References.resolve(template, Map.of("a", json("{'rows': [1, 2]}"), "b", json("7")), json("{'date': '2026-12-01'}"));
        assertEquals(json("{'n': {'rows': [1, 2]}, 'rows': [1, 2], 'label': 'day 2026-12-01: [1,2]', 'list': [7, 1], 'date': '2026-12-01', "
                + "'missing': null}"), resolved);
        assertEquals("${nodes.a.result}", template.get("n").asText(), "the template is not changed");
    }

    @Test
    void aMissingRunParameterIsAnError() {
        References.UnresolvableReferenceException e = assertThrows(References.UnresolvableReferenceException.class,
                () -> References.resolve(json("{'d': '${params.date}'}"), Map.of(), json("{}")));
        assertEquals("${params.date}: the run has no parameter 'date'", e.getMessage());
    }

    @Test
    void referencesAreFoundAndNothingIsEvaluated() throws Exception {
        assertEquals(2, References.find(json("{'a': ['${nodes.x.result}', {'b': 'pre ${params.y} post'}]}")).size());
        assertThrows(References.UnresolvableReferenceException.class, () -> References.find(json("{'a': '${java.lang.Runtime}'}")));
    }
}
