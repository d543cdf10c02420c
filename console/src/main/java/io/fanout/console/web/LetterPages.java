package io.fanout.console.web;

import static io.fanout.console.web.ConsolePages.BASE;

import io.fanout.console.ApiError;
import io.fanout.console.Audited;
import io.fanout.console.DeadLetters;
import io.fanout.console.Params;
import io.fanout.console.Route;
import io.fanout.console.Scope;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.command.LetterResult;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;

/** The console's dead-letter pages: the list, one letter with its stack and replay log, replay (one, or an error class after a dry run) and park. */
final class LetterPages {

    private final DeadLetters deadLetters;
    private final Audited audited;

    LetterPages(DeadLetters deadLetters, Audited audited) {
        this.deadLetters = deadLetters;
        this.audited = audited;
    }

    List<Route> routes() {
        return List.of(
                new Route("GET", BASE + "/dead-letters", Scope.READ, "Dead letters", this::letterList),
                new Route("GET", BASE + "/dead-letters/{id}", Scope.READ, "A dead letter, with its stack trace and replay log", this::letterPage),
                new Route("POST", BASE + "/dead-letters/replay", Scope.OPERATE, "What replaying an error class's letters would do (a dry run), to confirm",
                        this::confirmReplayClass),
                new Route("POST", BASE + "/dead-letters/replay/confirmed", Scope.OPERATE, "Replay the waiting letters of an error class",
                        this::replayClass),
                new Route("POST", BASE + "/dead-letters/{id}/replay", Scope.OPERATE, "Replay a dead letter", ctx -> letterAction(ctx, true)),
                new Route("POST", BASE + "/dead-letters/{id}/park", Scope.OPERATE, "Park a dead letter", ctx -> letterAction(ctx, false)));
    }

    private void letterList(Context ctx) throws Exception {
        String csrf = ConsolePages.session(ctx).csrf();
        StringBuilder b = new StringBuilder("<form method=\"post\" action=\"/console/dead-letters/replay\" class=\"filters\"><input type=\"hidden\" "
                + "name=\"csrf\" value=\"" + Html.esc(csrf) + "\"><input name=\"errorClass\" id=\"error-class\" placeholder=\"error class\" size=\"50\">"
                + "<button id=\"replay-class\">Replay every waiting letter of this class...</button></form>");
        b.append("<table><tr><th>letter</th><th>state</th><th>job</th><th>task</th><th>error</th><th>failed</th><th></th></tr>");
        for (DeadLetter l : deadLetters.list(new LetterQueries.Filter(null, null, Instant.EPOCH, null, 200))) {
            b.append("<tr id=\"letter-").append(l.id()).append("\"><td><a href=\"/console/dead-letters/").append(l.id()).append("\">").append(l.id())
                    .append("</a></td><td class=\"letter-state\">").append(Html.esc(l.state()))
                    .append("</td><td>").append(l.jobId() == null ? "" : "<a href=\"/console/jobs/" + l.jobId() + "\">" + l.jobId() + "</a>").append("</td><td>")
                    .append(Html.esc(l.taskName())).append("</td><td>").append(Html.esc(l.errorClass())).append(": ").append(Html.esc(l.errorMessage()))
                    .append("</td><td>").append(Html.esc(l.failedAt())).append("</td><td>");
            if (!DeadLetter.RESOLVED.equals(l.state())) {
                b.append(Html.button("/console/dead-letters/" + l.id() + "/replay", csrf, "Replay", "replay-" + l.id()));
                if (!DeadLetter.PARKED.equals(l.state())) {
                    b.append(Html.button("/console/dead-letters/" + l.id() + "/park", csrf, "Park", "park-" + l.id()));
                }
            }
            b.append("</td></tr>");
        }
        ConsolePages.page(ctx, "Dead letters", b.append("</table>").toString());
    }

    private void letterPage(Context ctx) throws Exception {
        long id = Params.number(ctx);
        DeadLetters.Details d = deadLetters.show(id).orElseThrow(() -> ApiError.notFound("no dead letter " + id));
        DeadLetter l = d.letter();
        StringBuilder b = new StringBuilder("<p>state <b id=\"letter-state\">").append(Html.esc(l.state())).append("</b>, job ")
                .append(l.jobId() == null ? "-" : "<a href=\"/console/jobs/" + l.jobId() + "\">" + l.jobId() + "</a>").append(", task ")
                .append(Html.esc(l.taskName())).append(", ").append(l.attempts() == null ? "" : l.attempts() + " attempts, ").append(l.replayCount())
                .append(" replays</p><p class=\"error\">").append(Html.esc(l.errorClass())).append(": ").append(Html.esc(l.errorMessage())).append("</p>");
        if (!DeadLetter.RESOLVED.equals(l.state())) {
            b.append(Html.button("/console/dead-letters/" + id + "/replay", ConsolePages.session(ctx).csrf(), "Replay", "replay"));
        }
        b.append("<h2>Stack trace</h2><pre id=\"stack\">").append(Html.esc(l.stackTrace())).append("</pre><h2>Replays</h2><table><tr><th>at</th><th>action</th>"
                + "<th>by</th><th>outcome</th></tr>");
        for (var r : d.replays()) {
            b.append("<tr><td>").append(r.at()).append("</td><td>").append(Html.esc(r.action())).append("</td><td>").append(Html.esc(r.actor()))
                    .append("</td><td>").append(Html.esc(r.outcome())).append("</td></tr>");
        }
        ConsolePages.page(ctx, "Dead letter " + id, b.append("</table>").toString());
    }

    /** The bulk replay's confirmation: how many of the error class's letters a dry run would replay, and the button that does it. */
    private void confirmReplayClass(Context ctx) throws Exception {
        String errorClass = FormInput.errorClass(ctx);
        long would = deadLetters.replayErrorClass(errorClass, ConsolePages.actor(ctx), true).stream().filter(LetterResult::wouldReplay).count();
        ConsolePages.page(ctx, "Replay " + errorClass + "?", "<p id=\"dry-run\">A dry run found " + would + " dead letters of " + Html.esc(errorClass)
                + " to replay.</p><form method=\"post\" action=\"/console/dead-letters/replay/confirmed\"><input type=\"hidden\" name=\"csrf\" value=\""
                + Html.esc(ConsolePages.session(ctx).csrf()) + "\"><input type=\"hidden\" name=\"errorClass\" value=\"" + Html.esc(errorClass) + "\">"
                + "<button id=\"confirm-replay\">Replay them</button></form>");
    }

    private void replayClass(Context ctx) throws Exception {
        String errorClass = FormInput.errorClass(ctx); // without one, every waiting letter would be replayed
        List<LetterResult> results = deadLetters.replayErrorClass(errorClass, ConsolePages.actor(ctx), false);
        long done = results.stream().filter(LetterResult::done).count();
        audited.record(ctx, "letter.replay", "errorClass " + errorClass, done > 0 ? "done" : "refused", done + " of " + results.size() + " replayed");
        ctx.redirect(BASE + "/dead-letters");
    }

    private void letterAction(Context ctx, boolean replay) throws Exception {
        long id = Params.number(ctx);
        LetterResult r = replay ? deadLetters.replay(id, ConsolePages.actor(ctx), false) : deadLetters.park(id, ConsolePages.actor(ctx));
        audited.record(ctx, replay ? "letter.replay" : "letter.park", Long.toString(id), r.done() ? "done" : "refused", r.outcome());
        ctx.redirect(BASE + "/dead-letters");
    }
}
