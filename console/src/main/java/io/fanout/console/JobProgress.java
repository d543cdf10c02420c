package io.fanout.console;

import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobState;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** A job's progress as Server-Sent Events (event {@code progress}, the job as JSON), for the API and the console's progress bar. */
public final class JobProgress {

    private static final Duration EVERY = Duration.ofMillis(500);
    /** How long an unknown job is waited for (its request may still be on its way to a coordinator) before the stream says there is none. */
    private static final Duration UNKNOWN_FOR = Duration.ofSeconds(10);

    private JobProgress() {
    }

    /**
     * The job's counts now, then every 500 ms while they change, until the job ends or the client
     * goes. A job not stored yet is waited for up to 10 s, so a stream opened right after a submit
     * follows the job.
     */
    public static void stream(SseClient sse, JobQueries queries) {
        UUID id;
        try {
            id = Params.uuid(sse.ctx());
        } catch (ApiError e) {
            sse.sendEvent("error", Json.toText(Map.of("code", e.code(), "message", e.getMessage())));
            sse.close();
            return;
        }
        sse.keepAlive();
        Thread.ofVirtual().name("fanout-api-progress-" + id).start(() -> {
            String last = null;
            long asked = System.nanoTime();
            try {
                while (!sse.terminated()) {
                    Optional<JobQueries.JobView> job = queries.job(id);
                    if (job.isEmpty()) {
                        if (System.nanoTime() - asked < UNKNOWN_FOR.toNanos()) {
                            Thread.sleep(EVERY); // a job just submitted is not stored yet
                            continue;
                        }
                        sse.sendEvent("error", Json.toText(Map.of("code", "not_found", "message", "no job " + id)));
                        break;
                    }
                    String now = ApiServer.toJson(job.get());
                    if (!now.equals(last)) {
                        sse.sendEvent("progress", now);
                        last = now;
                    }
                    if (JobState.valueOf(job.get().state()).isTerminal()) {
                        break;
                    }
                    Thread.sleep(EVERY);
                }
            } catch (Exception e) {
                sse.sendEvent("error", Json.toText(Map.of("code", "internal", "message", e.toString())));
            } finally {
                sse.close();
            }
        });
    }
}
