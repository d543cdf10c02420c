package io.fanout.console.web;

import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A workflow run drawn as its graph (SVG): nodes in columns by their depth (the longest path from
 * a node without upstream nodes), each coloured by its state through the style sheet, edges from
 * left to right.
 */
final class GraphDrawing {

    private static final int COLUMN = 190;
    private static final int ROW = 56;
    private static final int WIDTH = 150;
    private static final int HEIGHT = 40;

    private GraphDrawing() {
    }

    /** @param states each node's state, by name */
    static String svg(WorkflowDefinition def, Map<String, String> states) {
        Map<String, Integer> depth = new HashMap<>();
        for (WorkflowNode n : def.nodes()) {
            depthOf(def, n.name(), depth);
        }
        Map<Integer, List<String>> columns = new HashMap<>();
        for (WorkflowNode n : def.nodes()) {
            columns.computeIfAbsent(depth.get(n.name()), d -> new ArrayList<>()).add(n.name());
        }
        Map<String, int[]> at = new HashMap<>();
        int rows = 0;
        for (Map.Entry<Integer, List<String>> c : columns.entrySet()) {
            for (int i = 0; i < c.getValue().size(); i++) {
                at.put(c.getValue().get(i), new int[] {10 + c.getKey() * COLUMN, 10 + i * ROW});
            }
            rows = Math.max(rows, c.getValue().size());
        }
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"graph\" id=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(20 + columns.size() * COLUMN)
                .append("\" height=\"").append(20 + rows * ROW).append("\">");
        for (WorkflowDefinition.Edge e : def.edges()) {
            int[] from = at.get(e.from());
            int[] to = at.get(e.to());
            svg.append("<line class=\"edge\" x1=\"").append(from[0] + WIDTH).append("\" y1=\"").append(from[1] + HEIGHT / 2).append("\" x2=\"").append(to[0])
                    .append("\" y2=\"").append(to[1] + HEIGHT / 2).append("\"/>");
        }
        for (WorkflowNode n : def.nodes()) {
            int[] p = at.get(n.name());
            String state = states.getOrDefault(n.name(), "PENDING");
            svg.append("<g id=\"node-").append(Html.esc(n.name())).append("\" class=\"node node-").append(Html.esc(state)).append("\"><rect x=\"").append(p[0])
                    .append("\" y=\"").append(p[1]).append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" rx=\"6\"/>")
                    .append("<text x=\"").append(p[0] + 8).append("\" y=\"").append(p[1] + 17).append("\">").append(Html.esc(n.name())).append("</text>")
                    .append("<text class=\"node-state\" x=\"").append(p[0] + 8).append("\" y=\"").append(p[1] + 33).append("\">").append(Html.esc(state))
                    .append("</text></g>");
        }
        return svg.append("</svg>").toString();
    }

    private static int depthOf(WorkflowDefinition def, String node, Map<String, Integer> depth) {
        Integer known = depth.get(node);
        if (known != null) {
            return known;
        }
        int d = 0;
        for (String up : def.upstream(node)) {
            d = Math.max(d, depthOf(def, up, depth) + 1);
        }
        depth.put(node, d);
        return d;
    }
}
