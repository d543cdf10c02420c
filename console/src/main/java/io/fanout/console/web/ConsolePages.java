package io.fanout.console.web;

import io.fanout.console.ApiError;
import io.fanout.console.ApiTokens;
import io.fanout.console.AuditLog;
import io.fanout.console.Audited;
import io.fanout.console.Commander;
import io.fanout.console.DeadLetters;
import io.fanout.console.ExecutorsView;
import io.fanout.console.JobProgress;
import io.fanout.console.Params;
import io.fanout.console.Route;
import io.fanout.console.Scope;
import io.fanout.console.SignInLimits;
import io.fanout.coordinator.schedule.Schedules;
import io.fanout.coordinator.workflow.WorkflowVersions;
import io.fanout.query.DeadLetter;
import io.fanout.query.JobQueries;
import io.fanout.query.LetterQueries;
import io.fanout.query.RunQueries;
import io.fanout.query.Throughput;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The web console: server-rendered pages over the same services as the API, signed in with an API
 * token (kept as a session cookie: HttpOnly, SameSite=Strict, Secure behind TLS), every form
 * carrying the session's CSRF token, every action audited.
 */
public final class ConsolePages {

    public static final String BASE = "/console";
    private static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final SignIn signIn;
    private final JobProgress progress;
    private final JobQueries queries;
    private final Commander jobs;
    private final DeadLetters deadLetters;
    private final LetterPages letters;
    private final AuditLog audit;
    private final Audited audited;
    private final DataSource db;
    private final Schedules schedules;
    private final Supplier<ExecutorsView> executors;
    private final Throughput throughput;

    public ConsolePages(ApiTokens tokens, JobQueries queries, Commander jobs, DeadLetters deadLetters, AuditLog audit, DataSource db, Schedules schedules,
                        Supplier<ExecutorsView> executors, SignInLimits limits, JobProgress progress) {
        this.progress = progress;
        this.signIn = new SignIn(tokens, audit, limits);
        this.queries = queries;
        this.jobs = jobs;
        this.deadLetters = deadLetters;
        this.audit = audit;
        this.audited = new Audited(audit);
        this.letters = new LetterPages(deadLetters, audited);
        this.db = db;
        this.schedules = schedules;
        this.executors = executors;
        this.throughput = new Throughput(db, java.time.Clock.systemUTC());
    }

    public List<Route> routes() {
        List<Route> all = new ArrayList<>(List.of(
                Route.open("GET", BASE + "/login", "The sign-in page", signIn::loginPage),
                Route.open("POST", BASE + "/login", "Sign in with an API token", signIn::login),
                Route.open("GET", BASE + "/app.js", "The console's script", ctx -> resource(ctx, "app.js", "text/javascript")),
                Route.open("GET", BASE + "/style.css", "The console's style sheet", ctx -> resource(ctx, "style.css", "text/css")),
                new Route("POST", BASE + "/logout", Scope.READ, "Sign out", signIn::logout),
                new Route("GET", BASE, Scope.READ, "Overview", this::overview),
                new Route("GET", BASE + "/jobs", Scope.READ, "Jobs", this::jobList),
                new Route("POST", BASE + "/jobs/retry", Scope.OPERATE, "What retrying the chosen failed jobs would replay (a dry run), to confirm",
                        this::confirmRetry),
                new Route("POST", BASE + "/jobs/retry/confirmed", Scope.OPERATE, "Retry the chosen failed jobs", this::retryMany),
                new Route("GET", BASE + "/audit", Scope.ADMIN, "The audit log", this::auditPage),
                new Route("GET", BASE + "/jobs/{id}", Scope.READ, "A job", this::jobPage),
                Route.events(BASE + "/jobs/{id}/progress", Scope.READ, "A job's progress (Server-Sent Events; counted with the API's)", progress::stream),
                new Route("POST", BASE + "/jobs/{id}/cancel", Scope.OPERATE, "Cancel a job", this::cancel),
                new Route("GET", BASE + "/workflow-runs", Scope.READ, "Workflow runs", this::runList),
                new Route("GET", BASE + "/workflow-runs/{id}", Scope.READ, "A workflow run, drawn as its graph", this::runPage),
                new Route("GET", BASE + "/executors", Scope.READ, "Executor pools and executors", this::executorPage),
                new Route("GET", BASE + "/schedules", Scope.READ, "Schedules", this::schedulePage)));
        all.addAll(letters.routes());
        return List.copyOf(all);
    }

    /** Who is signed in, for a console route (see {@link SignIn#authenticate}). */
    public Optional<ApiTokens.Principal> authenticate(Context ctx) throws Exception {
        return signIn.authenticate(ctx);
    }

    private void overview(Context ctx) throws Exception {
        Map<String, Long> counts = queries.countsByState(Instant.now().minus(Duration.ofDays(1)));
        List<DeadLetter> open = deadLetters.list(new LetterQueries.Filter(null, null, Instant.EPOCH, DeadLetter.DEAD, 501));
        StringBuilder cards = new StringBuilder("<h2>Jobs of the last day</h2><div class=\"cards\">");
        for (JobState s : JobState.values()) {
            cards.append("<a class=\"card\" href=\"/console/jobs?state=").append(s).append("\"><b id=\"count-").append(s).append("\">")
                    .append(counts.getOrDefault(s.name(), 0L)).append("</b>").append(s).append("</a>");
        }
        ExecutorsView view = executors.get();
        Throughput.Sample moved = throughput.look(Duration.ofSeconds(2));
        cards.append("</div><h2>Throughput</h2><div class=\"cards\"><div class=\"card\"><b id=\"throughput\">")
                .append(moved == null ? "-" : String.format("%,.0f", moved.perSecond())).append("</b>tasks/s since the last look")
                .append(moved == null ? " (reload in a moment)" : String.format(" (%.0f s ago)", moved.seconds())).append("</div>");
        cards.append("</div><h2>Dead letters</h2><div class=\"cards\"><a class=\"card\" href=\"/console/dead-letters\"><b id=\"open-letters\">")
                .append(open.size() > 500 ? "500+" : open.size()).append("</b>waiting</a></div>")
                .append("<h2>Executors</h2><div class=\"cards\"><a class=\"card\" href=\"/console/executors\"><b id=\"live-executors\">")
                .append(view.live().size()).append("</b>live</a><a class=\"card\" href=\"/console/executors\"><b id=\"silent-executors\">")
                .append(view.silent().size()).append("</b>silent</a><a class=\"card\" href=\"/console/executors\"><b id=\"tasks-waiting\">")
                .append(view.pools().stream().mapToLong(p -> p.totalLag()).sum()).append("</b>tasks waiting</a></div>");
        page(ctx, "Overview", cards.toString());
    }

    private void jobList(Context ctx) throws Exception {
        String state = ctx.queryParam("state");
        if (state != null && state.isEmpty()) {
            state = null;
        }
        String processor = ctx.queryParam("processor");
        List<JobQueries.JobView> list = queries.jobs(new JobQueries.JobFilter(state, processor == null || processor.isEmpty() ? null : processor, null, null,
                Instant.now().minus(Duration.ofDays(7)), Instant.now().plusSeconds(1), 200));
        StringBuilder b = new StringBuilder("<form class=\"filters\" method=\"get\"><select name=\"state\" id=\"filter-state\"><option value=\"\">any state</option>");
        for (JobState s : JobState.values()) {
            b.append("<option").append(s.name().equals(state) ? " selected" : "").append(">").append(s).append("</option>");
        }
        b.append("</select><input name=\"processor\" placeholder=\"processor\" value=\"").append(Html.esc(processor)).append("\"><button>Filter</button></form>");
        b.append("<form method=\"post\" action=\"/console/jobs/retry\" id=\"bulk-retry\"><input type=\"hidden\" name=\"csrf\" value=\"")
                .append(Html.esc(session(ctx).csrf())).append("\"><table><tr><th></th><th>job</th><th>processor</th><th>state</th><th>tasks</th><th>created</th></tr>");
        for (JobQueries.JobView j : list) {
            b.append("<tr><td>").append(j.state().equals("FAILED") ? "<input type=\"checkbox\" name=\"job\" value=\"" + j.id() + "\">" : "")
                    .append("</td><td><a href=\"/console/jobs/").append(j.id()).append("\">").append(j.id()).append("</a></td><td>").append(Html.esc(j.processor()))
                    .append("</td><td class=\"state-").append(Html.esc(j.state())).append("\">").append(Html.esc(j.state())).append("</td><td>")
                    .append(j.succeeded() + j.failed()).append(" / ").append(j.total()).append("</td><td>").append(Html.esc(j.createdAt())).append("</td></tr>");
        }
        b.append("</table><button id=\"retry-selected\">Retry the selected failed jobs</button></form>");
        page(ctx, "Jobs", b.toString());
    }

    private void jobPage(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        JobQueries.JobView j = queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id));
        String csrf = session(ctx).csrf();
        StringBuilder b = new StringBuilder();
        b.append("<p>processor <b>").append(Html.esc(j.processor())).append("</b>, pool ").append(Html.esc(j.pool())).append(", state <b id=\"job-state\" class=\"state-")
                .append(Html.esc(j.state())).append("\">").append(Html.esc(j.state())).append("</b></p>");
        b.append("<p><progress id=\"progress\" data-stream=\"/console/jobs/").append(id).append("/progress\" max=\"").append(Math.max(1, j.total()))
                .append("\" value=\"").append(j.succeeded() + j.failed()).append("\"></progress> <span id=\"progress-label\">").append(j.succeeded() + j.failed())
                .append(" of ").append(j.total()).append(" tasks done (").append(j.failed()).append(" failed)</span></p>");
        if (j.error() != null) {
            b.append("<p class=\"error\" id=\"job-error\">").append(Html.esc(j.error())).append("</p>");
        }
        if (j.result() != null) {
            b.append("<p>result <code id=\"job-result\">").append(Html.esc(j.result())).append("</code></p>");
        }
        if (!JobState.valueOf(j.state()).isTerminal()) {
            b.append(Html.button("/console/jobs/" + id + "/cancel", csrf, "Cancel", "cancel"));
        }
        b.append("<h2>Tasks</h2><table><tr><th>task</th><th>name</th><th>state</th><th>attempt</th><th>executor</th><th>error</th></tr>");
        for (JobQueries.TaskView t : queries.tasks(id, null, 100)) {
            b.append("<tr><td>").append(t.id()).append("</td><td>").append(Html.esc(t.name())).append("</td><td class=\"state-").append(Html.esc(t.state())).append("\">")
                    .append(Html.esc(t.state())).append("</td><td>").append(t.attempt()).append("</td><td>").append(Html.esc(t.executor())).append("</td><td>")
                    .append(Html.esc(t.errorClass() == null ? "" : t.errorClass() + ": " + t.errorMessage())).append("</td></tr>");
        }
        b.append("</table>");
        page(ctx, "Job " + id, b.toString());
    }

    private void cancel(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        try {
            audited.audit(ctx, "job.cancel", id, actor(ctx), jobs::cancel);
        } catch (TimeoutException e) {
            // audited as pending; the job's page shows whether it has been cancelled since
        }
        ctx.redirect(BASE + "/jobs/" + id);
    }

    /** The bulk retry's confirmation: what a dry run found for each chosen job, and the button that does it. */
    private void confirmRetry(Context ctx) throws Exception {
        StringBuilder hidden = new StringBuilder();
        StringBuilder rows = new StringBuilder();
        long total = 0;
        List<UUID> chosen = FormInput.jobIds(ctx);
        Map<UUID, List<LetterResult>> dryRun = deadLetters.replayJobs(chosen, actor(ctx), true);
        for (UUID id : chosen) {
            long would = dryRun.get(id).stream().filter(LetterResult::wouldReplay).count();
            total += would;
            hidden.append("<input type=\"hidden\" name=\"job\" value=\"").append(id).append("\">");
            rows.append("<tr><td>").append(id).append("</td><td>").append(would).append("</td></tr>");
        }
        page(ctx, "Retry " + chosen.size() + " jobs?", "<p id=\"dry-run\">A dry run found " + total
                + " dead letters to replay:</p><table><tr><th>job</th><th>dead letters</th></tr>" + rows + "</table>"
                + "<form method=\"post\" action=\"/console/jobs/retry/confirmed\"><input type=\"hidden\" name=\"csrf\" value=\""
                + Html.esc(session(ctx).csrf()) + "\">" + hidden + "<button id=\"confirm-retry\">Replay them</button></form>");
    }

    private void auditPage(Context ctx) throws Exception {
        page(ctx, "Audit log", AuditPage.body(audit, ctx));
    }

    private void retryMany(Context ctx) throws Exception {
        StringBuilder b = new StringBuilder("<table><tr><th>job</th><th>dead letters replayed</th></tr>");
        for (Map.Entry<UUID, List<LetterResult>> job : deadLetters.replayJobs(FormInput.jobIds(ctx), actor(ctx), false).entrySet()) {
            UUID id = job.getKey();
            List<LetterResult> results = job.getValue();
            long replayed = results.stream().filter(LetterResult::done).count();
            String how = results.stream().anyMatch(LetterResult::awaitsAnswer) ? "pending" : replayed > 0 ? "done" : "refused";
            audited.record(ctx, "job.retry", id.toString(), how, replayed + " of " + results.size() + " replayed");
            b.append("<tr><td><a class=\"retried\" href=\"/console/jobs/").append(id).append("\">").append(id).append("</a></td><td>").append(replayed)
                    .append(" of ").append(results.size()).append("</td></tr>");
        }
        page(ctx, "Retried", b.append("</table>").toString());
    }

    static String actor(Context ctx) {
        return "console:" + Audited.who(ctx).name();
    }

    private void runList(Context ctx) throws Exception {
        StringBuilder b = new StringBuilder("<table><tr><th>run</th><th>workflow</th><th>state</th><th>created</th><th>finished</th></tr>");
        try (Connection c = db.getConnection()) {
            for (RunQueries.Run r : RunQueries.recentRuns(c, Instant.now().minus(Duration.ofDays(7)), 200)) {
                b.append("<tr><td><a href=\"/console/workflow-runs/").append(r.runId()).append("\">").append(r.runId()).append("</a></td><td>")
                        .append(Html.esc(r.workflow())).append(" v").append(r.version()).append("</td><td class=\"state-").append(Html.esc(r.state())).append("\">")
                        .append(Html.esc(r.state())).append("</td><td>").append(r.createdAt()).append("</td><td>").append(Html.esc(r.finishedAt())).append("</td></tr>");
            }
        }
        page(ctx, "Workflow runs", b.append("</table>").toString());
    }

    /** A run as its graph, node states in colour; while it runs, the page reloads itself every two seconds. */
    private void runPage(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        try (Connection c = db.getConnection()) {
            RunQueries.Run run = RunQueries.runs(c, List.of(id)).get(id);
            if (run == null) {
                throw ApiError.notFound("no workflow run " + id);
            }
            WorkflowDefinition def = new WorkflowVersions().version(c, run.workflow(), run.version()).orElseThrow().definition();
            Map<String, RunQueries.Node> nodes = RunQueries.nodes(c, List.of(id)).getOrDefault(id, Map.of());
            Map<String, String> states = new java.util.HashMap<>();
            nodes.forEach((name, n) -> states.put(name, n.state().name()));
            boolean open = run.state().equals("RUNNING") || run.state().equals("SUSPENDED");
            StringBuilder b = new StringBuilder("<p>workflow <b>").append(Html.esc(run.workflow())).append("</b> v").append(run.version())
                    .append(", state <b id=\"run-state\" class=\"state-").append(Html.esc(run.state())).append("\">").append(Html.esc(run.state())).append("</b>")
                    .append(open ? " <span id=\"live\" data-reload=\"2000\">(updating)</span>" : "").append("</p>");
            if (run.error() != null) {
                b.append("<p class=\"error\">").append(Html.esc(run.error())).append("</p>");
            }
            b.append(GraphDrawing.svg(def, states));
            b.append("<table><tr><th>node</th><th>state</th><th>attempt</th><th>job</th><th>result or error</th></tr>");
            for (var wn : def.nodes()) {
                RunQueries.Node n = nodes.get(wn.name());
                b.append("<tr><td>").append(Html.esc(wn.name())).append("</td><td class=\"state-").append(Html.esc(n.state())).append("\">").append(Html.esc(n.state()))
                        .append("</td><td>").append(n.attempt()).append("</td><td>")
                        .append(n.jobId() == null ? "" : "<a href=\"/console/jobs/" + n.jobId() + "\">" + n.jobId() + "</a>").append("</td><td>")
                        .append(Html.esc(n.error() != null ? n.error() : n.resultJson())).append("</td></tr>");
            }
            page(ctx, "Workflow run " + id, b.append("</table>").toString());
        }
    }

    private void executorPage(Context ctx) {
        ExecutorsView view = executors.get();
        StringBuilder b = new StringBuilder("<h2>Pools</h2><table><tr><th>pool</th><th>topic</th><th>members</th><th>tasks waiting</th></tr>");
        for (var p : view.pools()) {
            b.append("<tr><td>").append(Html.esc(p.pool())).append("</td><td>").append(Html.esc(p.topic())).append("</td><td>").append(p.members().size())
                    .append("</td><td>").append(p.totalLag()).append("</td></tr>");
        }
        b.append("</table><h2>Executors</h2><table><tr><th>executor</th><th>pool</th><th>host</th><th>state</th><th>in flight</th><th>done</th>"
                + "<th>failed</th><th>last seen</th></tr>");
        for (var list : List.of(view.live(), view.silent())) {
            for (var e : list) {
                b.append("<tr class=\"executor\"><td>").append(Html.esc(e.id())).append("</td><td>").append(Html.esc(e.pool())).append("</td><td>")
                        .append(Html.esc(e.host())).append("</td><td>").append(list == view.live() ? "live" : "<span class=\"error\">silent</span>")
                        .append("</td><td>").append(e.inFlight()).append("</td><td>").append(e.completed()).append("</td><td>").append(e.failed())
                        .append("</td><td>").append(Html.esc(e.time())).append("</td></tr>");
            }
        }
        page(ctx, "Executors", b.append("</table>").toString());
    }

    private void schedulePage(Context ctx) throws Exception {
        StringBuilder b = new StringBuilder("<table><tr><th>schedule</th><th>cron</th><th>zone</th><th>policy</th><th>next run</th><th>fired</th>"
                + "<th>skipped</th><th>last</th></tr>");
        for (var s : schedules.list()) {
            b.append("<tr><td>").append(Html.esc(s.name())).append("</td><td>").append(Html.esc(s.cron())).append("</td><td>").append(Html.esc(s.zone()))
                    .append("</td><td>").append(Html.esc(s.policy())).append("</td><td>").append(s.nextFireAt()).append("</td><td>").append(s.fired())
                    .append("</td><td>").append(s.skipped()).append("</td><td>").append(Html.esc(s.lastJobId())).append("</td></tr>");
        }
        page(ctx, "Schedules", b.append("</table>").toString());
    }

    static Sessions.Session session(Context ctx) {
        return SignIn.session(ctx);
    }

    static void page(Context ctx, String title, String body) {
        ApiTokens.Principal who = Audited.who(ctx);
        page(ctx, 200, Html.page(title, who.name() + " (" + who.scope().label() + ")", session(ctx).csrf(), body));
    }

    static void page(Context ctx, int status, String html) {
        ctx.header("Content-Security-Policy", PAGE_POLICY);
        ctx.status(status).contentType("text/html; charset=utf-8").result(html);
    }

    private static void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = ConsolePages.class.getResourceAsStream(name)) {
            ctx.contentType(type + "; charset=utf-8").result(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
