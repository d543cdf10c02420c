package io.fanout.console.web;

import java.util.List;

/**
 * The console's pages are a few small server-rendered documents: Java text blocks and this one
 * escaping function keep the build a plain Maven build (no template compiler, no Node toolchain).
 * Every value that comes from data goes through {@link #esc}.
 */
final class Html {

    private static final List<String[]> NAV = List.of(new String[] {"/console", "Overview"}, new String[] {"/console/jobs", "Jobs"},
            new String[] {"/console/workflow-runs", "Workflow runs"}, new String[] {"/console/dead-letters", "Dead letters"},
            new String[] {"/console/executors", "Executors"}, new String[] {"/console/schedules", "Schedules"}, new String[] {"/console/audit", "Audit"});

    private Html() {
    }

    static String esc(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A page of the console: the navigation, who is signed in, and {@code body} (already escaped where it holds data). */
    static String page(String title, String who, String csrf, String body) {
        StringBuilder nav = new StringBuilder();
        for (String[] n : NAV) {
            nav.append("<a href=\"").append(n[0]).append("\">").append(n[1]).append("</a> ");
        }
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>%s · Fanout</title>
                <link rel="stylesheet" href="/console/style.css"><script src="/console/app.js" defer></script></head>
                <body><header><b>Fanout</b> <nav>%s</nav>
                <form method="post" action="/console/logout" class="who">%s <input type="hidden" name="csrf" value="%s"><button>Sign out</button></form>
                </header><main><h1>%s</h1>%s</main></body></html>
                """.formatted(esc(title), nav, esc(who), esc(csrf), esc(title), body);
    }

    /** A form that posts an action, with the session's CSRF token. */
    static String button(String action, String csrf, String label, String id) {
        return "<form method=\"post\" action=\"" + esc(action) + "\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"" + esc(csrf)
                + "\"><button id=\"" + esc(id) + "\">" + esc(label) + "</button></form>";
    }
}
