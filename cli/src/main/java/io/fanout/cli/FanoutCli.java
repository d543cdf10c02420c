package io.fanout.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code fanout} command. */
@Command(name = "fanout", mixinStandardHelpOptions = true, version = "fanout 0.1.0",
        description = "A message-queue driven distributed executor: Kafka carries the tasks, PostgreSQL holds the state.",
        subcommands = {DemoCommand.class, SubmitCommand.class, StatusCommand.class, CoordinatorCommand.class, ExecutorCommand.class, ExecutorsCommand.class,
                TopicsCommand.class, DlqCommand.class, JobControlCommands.Cancel.class,
                JobControlCommands.Suspend.class, JobControlCommands.Resume.class, ScheduleCommand.class, WorkflowCommand.class, TokenCommand.class, AuditCommand.class, ApiCommand.class, BenchCommand.class})
public final class FanoutCli {

    @Option(names = "--config", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "A properties file of settings (env FANOUT_CONFIG): keys are option names without dashes, e.g. jdbc-url=..., "
                    + "or command.option for one command, e.g. coordinator.group-id=...; flags and environment variables win over it.")
    Path config;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new FanoutCli())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("fanout: " + e.getMessage());
                    return 2;
                });
        Path config = configPath(args);
        if (config != null) {
            try {
                ConfigFile file = ConfigFile.load(config);
                file.check(cli);
                cli.setDefaultValueProvider(file);
            } catch (IllegalArgumentException e) {
                cli.getErr().println("fanout: " + e.getMessage());
                return 2;
            }
        }
        return cli.execute(args);
    }

    /** The configuration file named by {@code --config} anywhere on the command line, or by FANOUT_CONFIG. */
    private static Path configPath(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        String env = System.getenv("FANOUT_CONFIG");
        return env == null || env.isBlank() ? null : Path.of(env);
    }
}
