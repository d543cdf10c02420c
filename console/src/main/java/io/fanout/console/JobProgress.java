package io.fanout.console;

import io.fanout.query.JobQueries;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobState;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A job's progress as Server-Sent Events (event {@code progress}, the job as JSON), for the API and
 * the console's progress bar. Streams are counted per token and in all ({@link ApiServer.Limits}):
 * one more is answered with an {@code error} event and closed. Each stream reads the job's counts
 * only (its params and result once, at the end), sends a heartbeat comment every
 * {@value #TICK_SECONDS} s (a client that left is noticed by the write, not at the job's end) and
 * checks its token again as often, so a revoked token stops streaming.
 */
public final class JobProgress {

    private static final Duration EVERY = Duration.ofMillis(500);
    static final int TICK_SECONDS = 5;
    /** How long an unknown job is waited for (its request may still be on its way to a coordinator) before the stream says there is none. */
    private static final Duration UNKNOWN_FOR = Duration.ofSeconds(10);

    private final JobQueries queries;
    private final ApiTokens tokens;
    private final ApiServer.Limits limits;
    private final Map<UUID, Integer> openPerToken = new HashMap<>();
    private int open;

    public JobProgress(JobQueries queries, ApiTokens tokens, ApiServer.Limits limits) {
        this.queries = queries;
        this.tokens = tokens;
        this.limits = limits;
    }

    /**
     * The job's counts now, then every 500 ms while they change, until the job ends, the client
     * goes or the token is revoked. A job not stored yet is waited for up to 10 s, so a stream
     * opened right after a submit follows the job.
     */
    public void stream(SseClient sse) {
        UUID id;
        try {
            id = Params.uuid(sse.ctx());
        } catch (ApiError e) {
            error(sse, e.code(), e.getMessage());
            sse.close();
            return;
        }
        ApiTokens.Principal who = sse.ctx().attribute(ApiServer.PRINCIPAL);
        if (!acquire(who.tokenId())) {
            error(sse, "too_many_streams", "at most " + limits.streamsPerToken() + " progress streams per token and " + limits.streams()
                    + " in all are open at once; close one first");
            sse.close();
            return;
        }
        sse.keepAlive();
        Thread.ofVirtual().name("fanout-api-progress-" + id).start(() -> {
            try {
                follow(sse, id, who.tokenId());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                error(sse, "internal", "the stream failed; the server's log has the details");
                org.slf4j.LoggerFactory.getLogger(JobProgress.class).warn("progress stream of job {} failed", id, e);
            } finally {
                release(who.tokenId());
                sse.close();
            }
        });
    }

    private void follow(SseClient sse, UUID id, UUID tokenId) throws Exception {
        String last = null;
        long started = System.nanoTime();
        long tick = System.nanoTime();
        while (!sse.terminated()) {
            if (System.nanoTime() - tick >= Duration.ofSeconds(TICK_SECONDS).toNanos()) {
                tick = System.nanoTime();
                if (tokens.stillValid(tokenId).isEmpty()) {
                    error(sse, "unauthenticated", "the token was revoked or has expired");
                    return;
                }
                sse.sendComment("heartbeat");
            }
            Optional<JobQueries.JobView> job = queries.counts(id);
            if (job.isEmpty()) {
                if (System.nanoTime() - started < UNKNOWN_FOR.toNanos()) {
                    Thread.sleep(EVERY); // a job just submitted is not stored yet
                    continue;
                }
                error(sse, "not_found", "no job " + id);
                return;
            }
            boolean ended = JobState.valueOf(job.get().state()).isTerminal();
            String now = ApiServer.toJson(ended ? queries.job(id).orElse(job.get()) : job.get());
            if (!now.equals(last)) {
                sse.sendEvent("progress", now);
                last = now;
            }
            if (ended) {
                return;
            }
            Thread.sleep(EVERY);
        }
    }

    private static void error(SseClient sse, String code, String message) {
        sse.sendEvent("error", Json.toText(Map.of("code", code, "message", message)));
    }

    private synchronized boolean acquire(UUID token) {
        int mine = openPerToken.getOrDefault(token, 0);
        if (mine >= limits.streamsPerToken() || open >= limits.streams()) {
            return false;
        }
        openPerToken.put(token, mine + 1);
        open++;
        return true;
    }

    private synchronized void release(UUID token) {
        openPerToken.computeIfPresent(token, (k, n) -> n <= 1 ? null : n - 1);
        open--;
    }
}
