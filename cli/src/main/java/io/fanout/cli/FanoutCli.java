package io.fanout.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code fanout} command. */
@Command(name = "fanout", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "A message-queue driven distributed executor: Kafka carries the tasks, PostgreSQL holds the state.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done; the job or run succeeded", "1:the job or run failed, was cancelled or rejected; or its state refuses the action",
                "2:bad usage (an unknown option, a bad value, an invalid request or setting)", "3:--wait gave up (timeout); the job goes on",
                "4:no such job, run, letter, schedule or token; nothing matched", "5:could not do the work (Kafka or PostgreSQL unreachable, ...)",
                "70:a coordinator or executor thread died"},
        subcommands = {DemoCommand.class, SubmitCommand.class, WatchCommand.class, JobsCommand.class, StatusCommand.class, EventsCommand.class,
                CoordinatorCommand.class, ExecutorCommand.class, ExecutorsCommand.class, TopicsCommand.class, DlqCommand.class, JobControlCommands.Cancel.class,
                JobControlCommands.Suspend.class, JobControlCommands.Resume.class, ScheduleCommand.class, WorkflowCommand.class, TokenCommand.class,
                AuditCommand.class, ApiCommand.class, BenchCommand.class, CompletionCommand.class})
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
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> ExitCodes.report(e, cmd))
                .setParameterExceptionHandler((e, given) -> {
                    // the error and where to read more, not a full usage page that buries the error
                    java.io.PrintWriter err = e.getCommandLine().getErr();
                    err.println("fanout: " + e.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
                    err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for its options.");
                    return ExitCodes.USAGE;
                });
        versionEverywhere(cli, new VersionProvider());
        Path config = configPath(args);
        if (config != null) {
            try {
                ConfigFile file = ConfigFile.load(config);
                file.check(cli);
                cli.setDefaultValueProvider(file);
            } catch (IllegalArgumentException e) {
                cli.getErr().println("fanout: " + e.getMessage());
                return ExitCodes.USAGE;
            }
        }
        return cli.execute(args);
    }

    /** {@code fanout COMMAND --version} prints the version too, not an empty line. */
    private static void versionEverywhere(CommandLine cmd, VersionProvider version) {
        for (CommandLine sub : cmd.getSubcommands().values()) {
            if (sub.getCommandSpec().versionProvider() == null && sub.getCommandSpec().version().length == 0) {
                sub.getCommandSpec().versionProvider(version);
            }
            versionEverywhere(sub, version);
        }
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
