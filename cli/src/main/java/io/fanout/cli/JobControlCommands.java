package io.fanout.cli;

import io.fanout.client.FanoutClient;
import io.fanout.shared.command.CommandResult;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fanout cancel|suspend|resume JOB}: a command on the jobs topic, carried out by the job's
 * coordinator, whose answer is awaited. Exit codes: 0 done, 1 the job's state does not allow it,
 * 3 not answered in time (still pending), 4 no such job.
 */
final class JobControlCommands {

    private JobControlCommands() {
    }

    /** What the three commands share: where the job is, and who acts. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Parameters(index = "0", description = "The job id.")
        UUID jobId;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who does it, for the log and the job's error (default ${DEFAULT-VALUE}).")
        String actor;

        @Option(names = "--timeout", defaultValue = "PT30S", description = "How long to wait for the job's coordinator to answer (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        abstract CommandResult apply(FanoutClient client) throws InterruptedException, TimeoutException;

        @Override
        public Integer call() throws Exception {
            try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
                CommandResult r = apply(client);
                (r.done() ? System.out : System.err).println(r.message());
                return r.done() ? ExitCodes.OK : r.found() ? ExitCodes.NOT_SUCCESSFUL : ExitCodes.NOT_FOUND;
            } catch (TimeoutException e) {
                System.err.println(e.getMessage());
                return ExitCodes.TIMEOUT;
            }
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancels a job: no new task of it starts anywhere, running ones are interrupted, the job ends CANCELLED.")
    static final class Cancel extends Base {
        @Override
        CommandResult apply(FanoutClient client) throws InterruptedException, TimeoutException {
            return client.cancel(jobId, actor, timeout);
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true,
            description = "Suspends a running job: its new tasks (subtasks, retries) are held, not dispatched, until it is resumed.")
    static final class Suspend extends Base {
        @Override
        CommandResult apply(FanoutClient client) throws InterruptedException, TimeoutException {
            return client.suspend(jobId, actor, timeout);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a suspended job and dispatches the tasks held meanwhile.")
    static final class Resume extends Base {
        @Override
        CommandResult apply(FanoutClient client) throws InterruptedException, TimeoutException {
            return client.resume(jobId, actor, timeout);
        }
    }
}
