package io.fanout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.shared.command.RunCommand;
import io.fanout.shared.json.Json;
import io.fanout.shared.workflow.InvalidWorkflowException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fanout workflow cancel|suspend|resume|retry|mark-succeeded RUN}: commands on the jobs topic,
 * carried out by the run's coordinator. Exit codes: 0 done, 1 the run's state does not allow it, 2 bad
 * input, 3 not answered in time (still pending), 4 no such run.
 */
final class WorkflowRunCommands {

    private WorkflowRunCommands() {
    }

    /**
     * What the run actions share: which run, and who acts. Each is a command on the jobs topic,
     * carried out by the run's coordinator, whose answer is awaited (exit 3 when it does not come in time).
     */
    abstract static class Action implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Parameters(index = "0", description = "The run id.")
        UUID runId;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who does it, for the log (default ${DEFAULT-VALUE}).")
        String actor;

        @Option(names = "--timeout", defaultValue = "PT30S", description = "How long to wait for the run's coordinator to answer (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        abstract RunCommand command() throws InvalidWorkflowException;

        @Override
        public Integer call() throws Exception {
            return CommandCall.send(kafka, command(), timeout);
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels a run: no node starts any more, running node jobs are cancelled.")
    static final class Cancel extends Action {
        @Override
        RunCommand command() {
            return RunCommand.of(RunCommand.Kind.CANCEL, runId, actor);
        }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true, description = "Suspends a run: no new node starts until it is resumed; running ones finish.")
    static final class Suspend extends Action {
        @Override
        RunCommand command() {
            return RunCommand.of(RunCommand.Kind.SUSPEND, runId, actor);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a suspended run: the nodes that became due start.")
    static final class Resume extends Action {
        @Override
        RunCommand command() {
            return RunCommand.of(RunCommand.Kind.RESUME, runId, actor);
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true, description = {
            "Runs a failed or cancelled run again from where it failed: failed, cancelled and upstream-failed nodes (and the nodes after them "
                    + "that did not succeed) run again; succeeded nodes keep their results and do not run again."})
    static final class Retry extends Action {
        @Option(names = "--from", description = "Instead: run this node and every node after it again, succeeded or not.")
        String from;

        @Override
        RunCommand command() {
            return RunCommand.retry(runId, from, actor);
        }
    }

    @Command(name = "mark-succeeded", mixinStandardHelpOptions = true, description = {
            "Ends a node that did not succeed SUCCEEDED with a result of your choosing, and lets the run go on from it."})
    static final class MarkSucceeded extends Action {
        @Parameters(index = "1", description = "The node.")
        String node;

        @Option(names = "--result", description = "The node's result as JSON (what downstream references see; default none).")
        String result;

        @Override
        RunCommand command() throws InvalidWorkflowException {
            JsonNode value;
            try {
                value = result == null ? null : Json.mapper().readTree(result);
            } catch (Exception e) {
                throw new InvalidWorkflowException("--result is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            return RunCommand.markSucceeded(runId, node, value, actor);
        }
    }
}
