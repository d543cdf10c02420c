package io.fanout.cli;

import io.fanout.console.DeadLetters;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.command.LetterResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fanout dlq}: the dead letters, by hand. Listed and shown from PostgreSQL; replayed and
 * parked by commands to the coordinator that owns them. Exit codes: 0 done, 1 some letters could
 * not be replayed or parked (each says why), 2 bad usage, 3 not answered in time (pending), 4 nothing matched.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Lists, shows, replays and parks dead letters.",
        subcommands = {DlqCommand.ListLetters.class, DlqCommand.Show.class, DlqCommand.Replay.class, DlqCommand.Park.class})
final class DlqCommand {

    /** Settings every subcommand shares, and the dead letters they reach. */
    static final class Connection {
        @Mixin
        InstallationOptions installation;

        @Option(names = "--timeout", defaultValue = "PT30S",
                description = "How long a replay or park waits for the letters' coordinator to answer (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        <T> T read(InstallationOptions.Use<T> use) throws Exception {
            return installation.read(use);
        }

        /** Runs {@code use}; one its coordinator did not answer in time says so and exits 3 (the command is pending). */
        int command(InstallationOptions.Use<Integer> use) throws Exception {
            try {
                return installation.command(timeout, use);
            } catch (TimeoutException e) {
                System.err.println(e.getMessage());
                return ExitCodes.TIMEOUT;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists dead letters, oldest first.")
    static final class ListLetters implements Callable<Integer> {
        @Mixin
        Connection conn;

        @Mixin
        OutputOptions output;

        @Option(names = "--job", description = "Only this job's letters.")
        UUID job;

        @Option(names = "--error", paramLabel = "CLASS", description = "Only letters with this error class.")
        String errorClass;

        @Option(names = "--since", paramLabel = "TIME", description = "Only letters that failed at or after this time (ISO-8601, e.g. 2026-11-21T10:00:00Z).")
        Instant since;

        @Option(names = "--state", description = "Only letters in this state: DEAD, REPLAYED, RESOLVED or PARKED.")
        String state;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() throws Exception {
            List<DeadLetter> letters = conn.read(l -> l.list(new LetterQueries.Filter(job, errorClass, since, state, limit)));
            if (output.json()) {
                output.print(letters); // as GET /api/v1/dead-letters
                return letters.isEmpty() ? ExitCodes.NOT_FOUND : 0;
            }
            if (letters.isEmpty()) {
                System.out.println("no dead letters match");
                return ExitCodes.NOT_FOUND;
            }
            System.out.printf("%-6s %-9s %-18s %-36s %-8s %-7s %-24s %s%n", "ID", "STATE", "REASON", "JOB", "ATTEMPTS", "REPLAYS", "FAILED AT", "ERROR");
            for (DeadLetter d : letters) {
                System.out.printf("%-6d %-9s %-18s %-36s %-8s %-7d %-24s %s%n", d.id(), d.state(), d.reason(), d.jobId() == null ? "-" : d.jobId(),
                        d.attempts() == null ? "-" : d.attempts(), d.replayCount(), d.failedAt(), oneLine(d.errorClass() + ": " + d.errorMessage(), 100));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Shows one dead letter in full: reason, stack trace, where it came from, its replays.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Connection conn;

        @Mixin
        OutputOptions output;

        @Parameters(index = "0", paramLabel = "ID", description = "The letter's id (from dlq list).")
        long id;

        @Override
        public Integer call() throws Exception {
            Optional<DeadLetters.Details> found = conn.read(l -> l.show(id));
            if (found.isEmpty()) {
                System.err.println("no dead letter " + id);
                return ExitCodes.NOT_FOUND;
            }
            if (output.json()) {
                output.print(found.get()); // as GET /api/v1/dead-letters/{id}
                return 0;
            }
            DeadLetter d = found.get().letter();
            System.out.printf("letter      %d (%s)%n", d.id(), d.state());
            System.out.printf("reason      %s%n", d.reason());
            if (d.isTaskLetter()) {
                System.out.printf("job         %s%n", d.jobId());
                System.out.printf("task        %s (%s) of processor %s%n", d.taskId(), d.taskName(), d.processor());
                System.out.printf("attempts    %d%n", d.attempts());
            }
            System.out.printf("executor    %s%n", d.executorId());
            System.out.printf("failed      first %s, last %s%n", d.firstFailedAt(), d.failedAt());
            System.out.printf("from        %s%n", d.originalTopic() == null ? "-" : d.originalTopic() + "-" + d.originalPartition() + "@" + d.originalOffset());
            System.out.printf("letter at   %s%n", d.dltOffset() == null ? "(not yet indexed)" : "dead-letter topic partition " + d.dltPartition() + "@" + d.dltOffset());
            System.out.printf("replays     %d%n", d.replayCount());
            System.out.printf("error       %s: %s%n", d.errorClass(), d.errorMessage());
            if (d.stackTrace() != null) {
                System.out.println();
                System.out.println(d.stackTrace().strip());
            }
            if (!found.get().replays().isEmpty()) {
                System.out.println();
                found.get().replays().forEach(r -> System.out.printf("%s  %-7s by %s: %s%n", r.at(), r.action(), r.actor(), r.outcome()));
            }
            return 0;
        }
    }

    /** Exactly one way to pick the letters to replay. */
    static final class Which {
        @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "One letter's id.")
        Long id;

        @Option(names = "--job", description = "Every waiting or parked letter of this job.")
        UUID job;

        @Option(names = "--error", paramLabel = "CLASS", description = "Every waiting or parked letter with this error class.")
        String errorClass;
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Replays dead letters: a task runs again (its job reopens if it had ended); an unreadable record goes back to its topic.")
    static final class Replay implements Callable<Integer> {
        @Mixin
        Connection conn;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        @Option(names = "--dry-run", description = "Say what would be replayed, change nothing.")
        boolean dryRun;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who replays, for the replay log (default ${DEFAULT-VALUE}).")
        String actor;

        @Override
        public Integer call() throws Exception {
            return conn.command(l -> report(which.id != null ? List.of(l.replay(which.id, actor, dryRun))
                    : which.job != null ? l.replayJob(which.job, actor, dryRun)
                    : l.replayErrorClass(which.errorClass, actor, dryRun), dryRun));
        }
    }

    @Command(name = "park", mixinStandardHelpOptions = true, description = "Parks a dead letter: moved to the parking topic, never replayed by the sweeper.")
    static final class Park implements Callable<Integer> {
        @Mixin
        Connection conn;

        @Parameters(index = "0", paramLabel = "ID", description = "The letter's id.")
        long id;

        @Option(names = "--as", defaultValue = "${env:USER:-operator}", description = "Who parks, for the replay log (default ${DEFAULT-VALUE}).")
        String actor;

        @Override
        public Integer call() throws Exception {
            return conn.command(l -> report(List.of(l.park(id, actor)), false));
        }
    }

    private static int report(List<LetterResult> results, boolean dryRun) {
        if (results.isEmpty() || results.size() == 1 && results.get(0).outcome().startsWith("no dead letter")) {
            System.err.println(results.isEmpty() ? "no dead letters match" : results.get(0).outcome());
            return ExitCodes.NOT_FOUND;
        }
        int refused = 0;
        for (LetterResult r : results) {
            System.out.printf("%-6d %s%n", r.letterId(), r.outcome());
            if (!r.done() && !dryRun) {
                refused++;
            }
        }
        System.out.printf("%d of %d %s%n", results.size() - refused, results.size(), dryRun ? "would be replayed" : "done");
        return results.stream().anyMatch(LetterResult::awaitsAnswer) ? ExitCodes.TIMEOUT : refused == 0 ? 0 : 1;
    }

    private static String oneLine(String s, int max) {
        String line = s.replace('\n', ' ');
        return line.length() <= max ? line : line.substring(0, max - 3) + "...";
    }

}
