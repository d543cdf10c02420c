package io.fanout.query;

import io.fanout.shared.json.Json;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** A workflow run and each of its nodes, as the API (GET /api/v1/workflow-runs/{id}) and {@code fanout workflow status -o json} show it. */
public final class WorkflowRunView {

    private WorkflowRunView() {
    }

    public static Optional<Map<String, Object>> read(Connection c, UUID id) throws SQLException {
        RunQueries.Run run = RunQueries.runs(c, List.of(id)).get(id);
        if (run == null) {
            return Optional.empty();
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", run.runId());
        view.put("key", run.key());
        view.put("workflow", run.workflow());
        view.put("version", run.version());
        view.put("state", run.state());
        view.put("params", Json.readTree(run.params()));
        view.put("error", run.error());
        view.put("createdAt", run.createdAt());
        view.put("finishedAt", run.finishedAt());
        view.put("nodes", RunQueries.nodes(c, List.of(id)).getOrDefault(id, Map.of()).values().stream().map(n -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", n.node());
            m.put("state", n.state());
            m.put("attempt", n.attempt());
            m.put("jobId", n.jobId());
            m.put("result", n.resultJson() == null ? null : Json.readTree(n.resultJson()));
            m.put("error", n.error());
            m.put("startedAt", n.startedAt());
            m.put("finishedAt", n.finishedAt());
            return m;
        }).toList());
        return Optional.of(view);
    }
}
