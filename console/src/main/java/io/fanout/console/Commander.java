package io.fanout.console;

import io.fanout.client.FanoutClient;
import io.fanout.shared.command.CommandResult;
import io.fanout.shared.command.RunCommand;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * The API's and the console's actions on jobs and workflow runs: each a command to the coordinator
 * that owns the job or run, whose answer is awaited for a while (20 s unless told otherwise). The console changes
 * no job or run itself.
 */
public final class Commander {

    /** How long a request waits for the owner to answer unless told otherwise; past it the command is reported pending. */
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(20);

    private final FanoutClient client;
    private final Duration answerWithin;

    public Commander(FanoutClient client, Duration answerWithin) {
        this.client = client;
        this.answerWithin = answerWithin;
    }

    public CommandResult cancel(UUID jobId, String actor) throws InterruptedException, TimeoutException {
        return client.cancel(jobId, actor, answerWithin);
    }

    public CommandResult suspend(UUID jobId, String actor) throws InterruptedException, TimeoutException {
        return client.suspend(jobId, actor, answerWithin);
    }

    public CommandResult resume(UUID jobId, String actor) throws InterruptedException, TimeoutException {
        return client.resume(jobId, actor, answerWithin);
    }

    public CommandResult cancelRun(UUID runId, String actor) throws InterruptedException, TimeoutException {
        return client.command(RunCommand.of(RunCommand.Kind.CANCEL, runId, actor), answerWithin);
    }

    /** Runs the run again from where it failed, or, with {@code from}, from that node on. */
    public CommandResult retryRun(UUID runId, String from, String actor) throws InterruptedException, TimeoutException {
        return client.command(RunCommand.retry(runId, from, actor), answerWithin);
    }
}
