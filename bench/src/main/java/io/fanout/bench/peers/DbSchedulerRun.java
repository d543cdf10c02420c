package io.fanout.bench.peers;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.Properties;
import java.util.stream.IntStream;

/**
 * db-scheduler: one one-time task instance per index, scheduled in one batch through a
 * {@link SchedulerClient}, then executed by a scheduler polling with lock-and-fetch
 * ({@code SELECT ... FOR UPDATE SKIP LOCKED}), the strategy its documentation gives for high throughput.
 */
final class DbSchedulerRun implements Peer {

    /** Fetch again when no more than one execution per thread is queued, up to four per thread: the documented "keep threads busy" setting. */
    private static final double LOWER_LIMIT_FRACTION_OF_THREADS = 1.0;
    private static final double UPPER_LIMIT_FRACTION_OF_THREADS = 4.0;

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final int tasks;
    private final int threads;

    DbSchedulerRun(String jdbcUrl, String user, String password, int tasks, int threads) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.tasks = tasks;
        this.threads = threads;
    }

    @Override
    public String name() {
        return "db-scheduler " + version();
    }

    @Override
    public String settings() {
        return String.format("%d threads, lock-and-fetch", threads);
    }

    @Override
    public Timing run(ExactlyOnce tally) throws Exception {
        OneTimeTask<Integer> noOp = Tasks.oneTime("no-op", Integer.class).execute((instance, context) -> tally.executed(instance.getData()));
        // A connection per executing thread, plus the poller's and the heartbeat's.
        try (FreshSchema schema = new FreshSchema(jdbcUrl, user, password, "peer_db_scheduler", threads + 4)) {
            try (Connection c = schema.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute(tablesDdl());
            }
            long start = System.nanoTime();
            SchedulerClient.Builder.create(schema.dataSource(), noOp).build()
                    .scheduleBatch(IntStream.range(0, tasks).<TaskInstance<?>>mapToObj(i -> noOp.instance(Integer.toString(i), i)), Instant.now());
            long enqueued = System.nanoTime();
            Scheduler scheduler = Scheduler.create(schema.dataSource(), noOp).threads(threads)
                    .pollUsingLockAndFetch(LOWER_LIMIT_FRACTION_OF_THREADS, UPPER_LIMIT_FRACTION_OF_THREADS).build();
            scheduler.start();
            long done;
            try {
                done = tally.awaitAll();
            } finally {
                scheduler.stop();
            }
            return new Timing(enqueued - start, done - enqueued);
        }
    }

    private static String tablesDdl() throws IOException {
        try (InputStream in = DbSchedulerRun.class.getResourceAsStream("db-scheduler-tables.sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String version() {
        try (InputStream in = Scheduler.class.getResourceAsStream("/META-INF/maven/com.github.kagkarlsson/db-scheduler/pom.properties")) {
            Properties pom = new Properties();
            pom.load(in);
            return pom.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
