package io.fanout.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code fanout} command. */
@Command(name = "fanout", mixinStandardHelpOptions = true, version = "fanout 0.1.0",
        description = "A message-queue driven distributed executor: Kafka carries the tasks, PostgreSQL holds the state.",
        subcommands = {DemoCommand.class, SubmitCommand.class, StatusCommand.class, CoordinatorCommand.class, ExecutorCommand.class, ExecutorsCommand.class,
                TopicsCommand.class, DlqCommand.class, BenchCommand.class})
public final class FanoutCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return new CommandLine(new FanoutCli())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("fanout: " + e.getMessage());
                    return 2;
                })
                .execute(args);
    }
}
