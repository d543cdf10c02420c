package io.fanout.bench.peers;

import org.jobrunr.configuration.JobRunr;
import org.jobrunr.configuration.JobRunrConfiguration.JobRunrConfigurationResult;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.sql.common.SqlStorageProviderFactory;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;
import java.time.Duration;
import java.util.stream.IntStream;

/**
 * JobRunr: one background job per index, enqueued from a stream (JobRunr stores them in batches),
 * then executed by a background job server polling at JobRunr's smallest allowed interval.
 */
public final class JobRunrRun implements Peer {

    /** The smallest poll interval JobRunr accepts for a SQL database. */
    private static final Duration POLL_INTERVAL = Duration.ofSeconds(5);

    /** JobRunr runs a job by calling a method it finds by reflection, so the job reaches the tally through a static. */
    private static volatile ExactlyOnce tally;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final int tasks;
    private final int workers;

    JobRunrRun(String jdbcUrl, String user, String password, int tasks, int workers) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.tasks = tasks;
        this.workers = workers;
    }

    /** The job: public and static, for JobRunr to invoke. */
    public static void noOp(int index) {
        tally.executed(index);
    }

    @Override
    public String name() {
        return "JobRunr " + JobRunr.class.getPackage().getImplementationVersion();
    }

    @Override
    public String settings() {
        return String.format("%d workers, poll interval %d s", workers, POLL_INTERVAL.toSeconds());
    }

    @Override
    public Timing run(ExactlyOnce tally) throws Exception {
        JobRunrRun.tally = tally;
        // A connection per worker, plus the job server's own tasks'.
        try (FreshSchema schema = new FreshSchema(jdbcUrl, user, password, "peer_jobrunr", workers + 4)) {
            // Creates JobRunr's tables; the server is started only once every job is stored.
            JobRunrConfigurationResult jobRunr = JobRunr.configure()
                    .useJsonMapper(new JacksonJsonMapper())
                    .useStorageProvider(SqlStorageProviderFactory.using(schema.dataSource()))
                    .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                            .andWorkerCount(workers).andPollInterval(POLL_INTERVAL), false)
                    .initialize();
            try {
                long start = System.nanoTime();
                jobRunr.getJobScheduler().enqueue(IntStream.range(0, tasks).boxed(), i -> noOp(i));
                long enqueued = System.nanoTime();
                jobRunr.getBackgroundJobServer().start();
                long done = tally.awaitAll();
                return new Timing(enqueued - start, done - enqueued);
            } finally {
                JobRunr.destroy();
            }
        } finally {
            JobRunrRun.tally = null;
        }
    }
}
