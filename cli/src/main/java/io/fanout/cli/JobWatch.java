package io.fanout.cli;

import io.fanout.client.FanoutClient;
import io.fanout.query.JobStatus;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * Waits for one job to end while showing its progress: the one way {@code fanout watch}, {@code
 * fanout submit --wait} and the demo wait. What PostgreSQL knows of the job when the wait starts
 * comes first: a job that has ended already is reported at once (its final event went by before
 * the client looked), and a running one's bar starts from its current counts.
 */
final class JobWatch {

    private JobWatch() {
    }

    /**
     * The job's final event, or null if it did not end within {@code timeout}. The client must
     * follow the job before {@code known} was read ({@link FanoutClient#submit} and {@link
     * FanoutClient#follow} do), so that no event falls between the two.
     *
     * @param known the job as PostgreSQL had it, or null if it was not there (not accepted yet) or not looked up
     */
    static JobEvent await(FanoutClient client, UUID job, JobStatus known, Duration timeout, Progress progress) throws InterruptedException {
        if (known != null && JobState.valueOf(known.state()).isTerminal()) {
            return event(known);
        }
        try {
            if (known != null) {
                progress.update(event(known));
            }
            return client.await(job, timeout, progress::update);
        } catch (TimeoutException e) {
            return null;
        } finally {
            progress.finish();
        }
    }

    /** Waits with the progress on stderr, then prints the outcome on stdout; returns the exit code. */
    static int awaitAndPrint(FanoutClient client, UUID job, JobStatus known, Duration timeout, OutputOptions output) throws InterruptedException {
        JobEvent outcome = await(client, job, known, timeout, Progress.on(System.err));
        if (outcome == null) {
            System.err.printf("job %s did not end within %s; it goes on (fanout watch %s)%n", job, timeout, job);
            return ExitCodes.TIMEOUT;
        }
        return Outcomes.print(outcome, output);
    }

    /** The job's state as an event: its final event if it has ended, else one with its current counts. */
    static JobEvent event(JobStatus s) {
        JobState state = JobState.valueOf(s.state());
        JobEvent.Type type = switch (state) {
            case SUCCEEDED -> JobEvent.Type.SUCCEEDED;
            case FAILED -> JobEvent.Type.FAILED;
            case CANCELLED -> JobEvent.Type.CANCELLED;
            case RUNNING, REDUCING, SUSPENDED -> JobEvent.Type.PROGRESS;
        };
        return new JobEvent(type, s.jobId(), s.key(), s.processor(), state, new JobEvent.TaskCounts(s.total(), s.succeeded(), s.failed()),
                s.resultJson() == null ? null : Json.readTree(s.resultJson()), s.error(), null, null,
                (s.finishedAt() != null ? s.finishedAt() : s.createdAt()).toInstant().toString());
    }
}
