package io.fanout.cli;

import io.fanout.shared.command.JobCommand;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fanout cancel|suspend|resume JOB}: a command on the jobs topic, carried out by the job's
 * coordinator, whose answer is awaited (exit codes in {@link CommandCall}).
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

        private final JobCommand.Kind kind;

        Base(JobCommand.Kind kind) {
            this.kind = kind;
        }

        @Override
        public Integer call() throws Exception {
            return CommandCall.send(kafka, JobCommand.of(kind, jobId, actor), timeout);
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancels a job: no new task of it starts anywhere, running ones are interrupted, the job ends CANCELLED.")
    static final class Cancel extends Base {
        Cancel() {
            super(JobCommand.Kind.CANCEL);
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true,
            description = "Suspends a running job: its new tasks (subtasks, retries) are held, not dispatched, until it is resumed.")
    static final class Suspend extends Base {
        Suspend() {
            super(JobCommand.Kind.SUSPEND);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a suspended job and dispatches the tasks held meanwhile.")
    static final class Resume extends Base {
        Resume() {
            super(JobCommand.Kind.RESUME);
        }
    }
}
