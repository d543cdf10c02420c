package io.fanout.cli;

import io.fanout.query.JobQueries;
import io.fanout.shared.model.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fanout jobs}: the latest jobs, filtered; the same list as the API's GET /api/v1/jobs. */
@Command(name = "jobs", mixinStandardHelpOptions = true, description = {
        "Lists jobs, newest first: state, processor, pool, tasks done of total, when created and how long they took.",
        "Exits 4 if no job matches."})
final class JobsCommand implements Callable<Integer> {

    static final int MAX_LIMIT = 10_000;

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions db;

    @Mixin
    OutputOptions output;

    @Option(names = "--state", description = "Only jobs in this state: ${COMPLETION-CANDIDATES}.")
    JobState state;

    @Option(names = "--processor", description = "Only jobs of this processor.")
    String processor;

    @Option(names = "--pool", description = "Only jobs of this executor pool.")
    String pool;

    @Option(names = "--key", description = "Only the job of this client key.")
    String key;

    @Option(names = "--since", paramLabel = "TIME", converter = PointInTime.class,
            description = "Only jobs created at or after this: a time (2026-12-01T10:00:00Z), a day (2026-12-01) or how long ago (PT2H, 30m, 2h, 7d). "
                    + "Default: any time.")
    Instant since;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many, the newest (default ${DEFAULT-VALUE}, at most " + MAX_LIMIT + ").")
    int limit;

    @Override
    public Integer call() throws Exception {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ParameterException(spec.commandLine(), "--limit must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
        // no upper bound: jobs are stamped by the database's clock, which may be ahead of this machine's
        Instant noEnd = Instant.now().plus(Duration.ofDays(36_500));
        List<JobQueries.JobView> jobs = new JobQueries(db.reader()).jobs(new JobQueries.JobFilter(state == null ? null : state.name(), processor, pool, key,
                since == null ? Instant.EPOCH : since, noEnd, limit));
        if (output.json()) {
            output.print(jobs);
        } else if (!jobs.isEmpty()) {
            String format = "%-36s  %-9s  %-16s  %-10s  %-19s  %-27s  %-9s  %s%n";
            System.out.printf(format, "JOB", "STATE", "PROCESSOR", "POOL", "TASKS DONE/TOTAL", "CREATED", "TOOK", "KEY");
            for (JobQueries.JobView j : jobs) {
                String tasks = String.format("%,d/%,d", j.succeeded() + j.failed(), j.total()) + (j.failed() > 0 ? String.format(" (%,d failed)", j.failed()) : "");
                System.out.printf(format, j.id(), j.state(), j.processor(), j.pool(), tasks, j.createdAt(), took(j), j.key() == null ? "-" : j.key());
            }
        }
        if (jobs.isEmpty()) {
            System.err.println("no jobs match");
            return ExitCodes.NOT_FOUND;
        }
        return ExitCodes.OK;
    }

    private static String took(JobQueries.JobView j) {
        if (j.finishedAt() == null) {
            return "-";
        }
        Duration d = Duration.between(Instant.parse(j.createdAt()), Instant.parse(j.finishedAt()));
        return d.toMillis() < 10_000 ? d.toMillis() + " ms" : d.toSeconds() < 3600 ? d.toSeconds() + " s" : d.toMinutes() + " min";
    }
}
