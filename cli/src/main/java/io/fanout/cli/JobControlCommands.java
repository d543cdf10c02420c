package io.fanout.cli;

import io.fanout.coordinator.control.JobControl;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fanout cancel|suspend|resume JOB}. Exit codes: 0 done, 1 the job's state does not allow it, 4 no such job. */
final class JobControlCommands {

    private JobControlCommands() {
    }

    /** What the three commands share: where the job is, and who acts. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        InstallationOptions installation;

        @Parameters(index = "0", description = "The job id.")
        UUID jobId;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who does it, for the log and the job's error (default ${DEFAULT-VALUE}).")
        String actor;

        abstract JobControl.Result apply(JobControl control) throws Exception;

        @Override
        public Integer call() throws Exception {
            JobControl.Result r = installation.with("fanout-control", (db, producer, topics) -> apply(new JobControl(db, producer, topics)));
            (r.done() ? System.out : System.err).println(r.message());
            return r.done() ? ExitCodes.OK : r.found() ? ExitCodes.NOT_SUCCESSFUL : ExitCodes.NOT_FOUND;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancels a job: no new task of it starts anywhere, running ones are interrupted, the job ends CANCELLED.")
    static final class Cancel extends Base {
        @Override
        JobControl.Result apply(JobControl control) throws Exception {
            return control.cancel(jobId, actor);
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true,
            description = "Suspends a running job: its new tasks (subtasks, retries) are held, not dispatched, until it is resumed.")
    static final class Suspend extends Base {
        @Override
        JobControl.Result apply(JobControl control) throws Exception {
            return control.suspend(jobId, actor);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a suspended job and dispatches the tasks held meanwhile.")
    static final class Resume extends Base {
        @Override
        JobControl.Result apply(JobControl control) throws Exception {
            return control.resume(jobId, actor);
        }
    }
}
