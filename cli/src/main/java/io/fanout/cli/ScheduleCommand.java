package io.fanout.cli;

import io.fanout.coordinator.schedule.Schedule;
import io.fanout.coordinator.schedule.Schedules;
import io.fanout.coordinator.store.Database;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fanout schedule}: recurring jobs. Exit codes: 0 done, 2 bad settings, 4 no such schedule. */
@Command(name = "schedule", mixinStandardHelpOptions = true, description = "Adds, lists and removes recurring jobs (cron schedules).",
        subcommands = {ScheduleCommand.Add.class, ScheduleCommand.ListSchedules.class, ScheduleCommand.Remove.class})
final class ScheduleCommand {

    interface Action<T> {
        T run(Schedules schedules) throws Exception;
    }

    static <T> T with(DatabaseOptions db, Action<T> action) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 2)) {
            return action.run(new Schedules(database.dataSource(), Clock.systemUTC()));
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds a recurring job, or changes the one of that name.")
    static final class Add implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", description = "The schedule's name.")
        String name;

        @Option(names = "--cron", required = true, description = "When it runs: five fields, minute hour day-of-month month day-of-week (e.g. '0 2 * * *').")
        String cron;

        @Option(names = "--zone", defaultValue = "UTC", description = "The time zone of the cron expression (default ${DEFAULT-VALUE}).")
        String zone;

        @Option(names = "--policy", defaultValue = "forbid",
                description = "When a run is due and the previous one is still going: allow, forbid (skip the new run) or replace (cancel the old one). "
                        + "Default ${DEFAULT-VALUE}.")
        String policy;

        @Option(names = "--request", required = true, description = "The job request each run submits, as JSON, without id or key; or a workflow run request, "
                + "e.g. '{\"workflow\": \"daily-sales\"}' (each run gets the parameter scheduledAt).")
        String request;

        @Override
        public Integer call() throws Exception {
            Schedule s = with(db, schedules -> schedules.put(name, cron, zone, request, policy));
            System.out.printf("schedule %s: '%s' in %s, policy %s; next run %s%n", s.name(), s.cron(), s.zone(), s.policy(), s.nextFireAt());
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the recurring jobs.")
    static final class ListSchedules implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Mixin
        OutputOptions output;

        @Override
        public Integer call() throws Exception {
            List<Schedule> all = with(db, Schedules::list);
            if (output.json()) {
                output.print(all); // as GET /api/v1/schedules
                return 0;
            }
            System.out.printf("%-20s %-16s %-16s %-8s %-24s %-6s %-7s %s%n", "NAME", "CRON", "ZONE", "POLICY", "NEXT RUN", "FIRED", "SKIPPED", "LAST JOB");
            for (Schedule s : all) {
                System.out.printf("%-20s %-16s %-16s %-8s %-24s %-6d %-7d %s%n", s.name(), s.cron(), s.zone(), s.policy(), s.nextFireAt(), s.fired(),
                        s.skipped(), s.lastJobId() == null ? "-" : s.lastJobId());
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes a recurring job (its runs so far are not touched).")
    static final class Remove implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", description = "The schedule's name.")
        String name;

        @Override
        public Integer call() throws Exception {
            boolean removed = with(db, schedules -> schedules.remove(name));
            (removed ? System.out : System.err).println(removed ? "schedule " + name + " removed" : "no schedule " + name);
            return removed ? 0 : ExitCodes.NOT_FOUND;
        }
    }
}
