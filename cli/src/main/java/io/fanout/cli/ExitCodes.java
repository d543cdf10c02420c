package io.fanout.cli;

import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.workflow.InvalidWorkflowException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The exit codes of every {@code fanout} command (README, "The command line"), and how an error
 * that ends a command becomes one of them with a message that says what happened.
 */
final class ExitCodes {

    /** Done; the job or run succeeded. */
    static final int OK = 0;
    /** The job or run failed, was cancelled or was rejected; or its state does not allow the action asked for. */
    static final int NOT_SUCCESSFUL = 1;
    /** Bad usage: an unknown option, a missing or bad value, an invalid request or setting. Nothing was done. */
    static final int USAGE = 2;
    /** --wait (or watch --timeout) gave up before the job or run ended; it goes on. */
    static final int TIMEOUT = 3;
    /** No such job, run, letter, schedule or token; nothing matched the filters. */
    static final int NOT_FOUND = 4;
    /** The command could not do its work: Kafka or PostgreSQL unreachable, or an unexpected error. */
    static final int RUNTIME_ERROR = 5;
    /** A coordinator or executor one of whose long-running threads died (EX_SOFTWARE), so that a supervisor restarts it. */
    static final int DEAD_THREAD = 70;

    private ExitCodes() {
    }

    /** Prints why the command failed, and returns {@link #USAGE} for bad input, {@link #RUNTIME_ERROR} for anything else. */
    static int report(Exception e, CommandLine cmd) {
        cmd.getErr().println("fanout: " + describe(e, bootstrapServers(cmd)));
        return isUsage(e) ? USAGE : RUNTIME_ERROR;
    }

    /** Errors in what the user gave: settings rejected by a builder, invalid requests and definitions, bad Kafka client properties. */
    static boolean isUsage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof InvalidJobRequestException || t instanceof InvalidWorkflowException
                    || t instanceof ConfigException || t instanceof CommandLine.ParameterException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A one-line account of {@code e}: its message and its causes' where they add something, the
     * class of one that has no message, and the Kafka address tried when Kafka did not answer.
     */
    static String describe(Throwable e, String bootstrapServers) {
        List<String> parts = new ArrayList<>();
        boolean kafkaTimeout = false;
        for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause() == t ? null : t.getCause()) {
            kafkaTimeout |= t instanceof org.apache.kafka.common.errors.TimeoutException;
            String message = t.getMessage() == null || t.getMessage().isBlank() ? null : t.getMessage().lines().findFirst().orElse("").strip();
            String part = message == null ? t.getClass().getName() : message;
            if (parts.stream().noneMatch(p -> p.contains(part))) {
                parts.add(part);
            }
        }
        String text = String.join(": ", parts);
        if (bootstrapServers != null && !text.contains(bootstrapServers)) {
            if (kafkaTimeout) {
                text = "Kafka at " + bootstrapServers + " did not answer in time (" + text + "); check --bootstrap-servers (env FANOUT_BOOTSTRAP_SERVERS)";
            } else if (text.contains("bootstrap")) {
                text = text + " (--bootstrap-servers " + bootstrapServers + ")";
            }
        }
        return text;
    }

    /** The Kafka address the failed command used, if it takes one. */
    private static String bootstrapServers(CommandLine cmd) {
        OptionSpec option = cmd.getCommandSpec().findOption("--bootstrap-servers");
        return option == null || option.getValue() == null ? null : option.getValue().toString();
    }
}
