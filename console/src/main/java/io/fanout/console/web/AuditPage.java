package io.fanout.console.web;

import io.fanout.console.AuditLog;
import io.fanout.console.Params;
import io.javalin.http.Context;
import java.util.List;

/** The console's audit log: a page of entries at a time, newest first, with a link to the older ones. */
final class AuditPage {

    static final int PAGE = 100;

    private AuditPage() {
    }

    static String body(AuditLog audit, Context ctx) throws Exception {
        List<AuditLog.Entry> entries = audit.page(Params.longQuery(ctx, "before"), null, PAGE);
        StringBuilder b = new StringBuilder("<table><tr><th>at</th><th>who</th><th>action</th><th>target</th><th>outcome</th><th>from</th><th>detail</th></tr>");
        for (AuditLog.Entry e : entries) {
            b.append("<tr class=\"audit\"><td>").append(e.at()).append("</td><td>").append(Html.esc(e.actor())).append("</td><td>").append(Html.esc(e.action()))
                    .append("</td><td>").append(Html.esc(e.target())).append("</td><td>").append(Html.esc(e.outcome())).append("</td><td>")
                    .append(Html.esc(e.remote())).append("</td><td>").append(Html.esc(e.detail())).append("</td></tr>");
        }
        b.append("</table>");
        if (entries.size() == PAGE) {
            b.append("<p><a id=\"older\" href=\"/console/audit?before=").append(entries.get(PAGE - 1).id()).append("\">Older entries</a></p>");
        }
        return b.toString();
    }
}
