package io.fanout.cli;

import io.fanout.client.FanoutClient;
import io.fanout.query.JobStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fanout watch JOB}: attach to a job, show its progress until it ends, print its outcome. */
@Command(name = "watch", mixinStandardHelpOptions = true, description = {
        "Follows a job until it ends: its progress (a bar on a terminal, plain lines otherwise) on stderr, then its outcome.",
        "A job that has ended already is reported at once. Exits 0 if the job succeeded, 1 if it failed or was cancelled,",
        "3 on timeout, 4 if there is no such job."})
final class WatchCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    @Mixin
    OutputOptions output;

    @Parameters(index = "0", description = "The job id.")
    UUID jobId;

    @Option(names = "--timeout", description = "Give up after this long (ISO-8601, e.g. PT30M; default: wait until the job ends).")
    Duration timeout;

    /** "Until the job ends": long enough, and far from overflowing a nanosecond clock. */
    static final Duration FOREVER = Duration.ofDays(3650);

    @Override
    public Integer call() throws Exception {
        try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
            client.follow(jobId); // before the job is read: an event sent after the read is not missed
            Optional<JobStatus> known = db.job(jobId);
            if (known.isEmpty()) {
                System.err.println("no job " + jobId);
                return ExitCodes.NOT_FOUND;
            }
            return JobWatch.awaitAndPrint(client, jobId, known.get(), timeout == null ? FOREVER : timeout, output);
        }
    }
}
