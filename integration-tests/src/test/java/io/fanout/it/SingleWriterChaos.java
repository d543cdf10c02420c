package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.client.FanoutClient;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.TopicNames;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * "Done means" for one writer per job, as a chaos run (not part of the suite: it takes minutes; run
 * it with {@code ./fanout chaos}). A 200,000-task map/reduce on real processes lives through
 * executor, coordinator and broker SIGKILLs, a PostgreSQL restart, a suspend and resume,
 * executors scaled up and straight back down, dead-letter replays and retention with a 1-second
 * TTL on other jobs; then its result is exact, no task used more attempts than its policy allows
 * (plus one per replay), no job is left open and nothing is counted in flight.
 */
class SingleWriterChaos {

    private static final long N = Long.getLong("chaos.tasks", 200_000);
    private static final int MAX_ATTEMPTS = 3;
    private static final int SIDE_JOBS = 20;

    /**
     * Squares its item after a moment's work; the reduce sums. One item in 20,000 (19,999, 39,999...)
     * fails for good on its first attempt (it is dead-lettered and must be replayed), one in 10,000
     * (9,995, 19,995...) fails once and is retried; jobs of fewer items never fail.
     */
    public static final class Squares implements MapReduceProcessor {
        @Override
        public Object process(TaskContext ctx) throws Exception {
            if (ctx.isRoot()) {
                long n = ctx.params(Long.class);
                return ctx.map(() -> items(n), "square");
            }
            long item = ctx.payload(Long.class);
            Thread.sleep(5); // slower than the coordinators apply reports: the failures come while tasks really run
            if (item % 20_000 == 19_999 && ctx.attempt() == 0) {
                throw new NonRetryableException("chaos: item " + item + " is dead-lettered once");
            }
            if (item % 10_000 == 9_995 && ctx.attempt() == 0) {
                throw new IllegalStateException("chaos: item " + item + " fails once");
            }
            return item * item;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }

        private static Iterator<Object> items(long n) {
            return new Iterator<>() {
                long next = 1;

                @Override
                public boolean hasNext() {
                    return next <= n;
                }

                @Override
                public Object next() {
                    return next++;
                }
            };
        }
    }

    @Test
    void aLargeMapReduceLivesThroughEveryKindOfFailureAndEndsExactly() throws Exception {
        Path pgData = Files.createTempDirectory("fanout-chaos-pg");
        int pgPort = freePort();
        TopicNames topics = new TopicNames("chaos-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        String executorGroup = topics.prefix() + "executors";
        EmbeddedPostgres[] pg = {startPostgres(pgData, pgPort)};
        String jdbcUrl = "jdbc:postgresql://localhost:" + pgPort + "/chaos?user=postgres";
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pgPort + "/postgres", "postgres", null);
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE chaos");
        }
        PGSimpleDataSource db = new PGSimpleDataSource();
        db.setUrl(jdbcUrl);
        List<String> log = new ArrayList<>();
        long started = System.nanoTime();
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(); FanoutProcesses processes = new FanoutProcesses()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                new TopicProvisioner(admin).apply(new TopicLayout(topics, 4, 6));
            }
            Process[] coordinators = {coordinator(processes, "chaos-coord-a", bootstrap, topics, executorGroup, jdbcUrl),
                    coordinator(processes, "chaos-coord-b", bootstrap, topics, executorGroup, jdbcUrl)};
            List<Process> everyCoordinator = new ArrayList<>(List.of(coordinators));
            await().atMost(Duration.ofMinutes(2)).ignoreExceptions()
                    .until(() -> Sql.count(db, "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);
            List<Process> executors = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                executors.add(executor(processes, "chaos-exec-" + i, bootstrap, topics, executorGroup));
            }
            try (FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                RetryPolicy policy = new RetryPolicy(MAX_ATTEMPTS, Duration.ofMillis(200), 2.0, Duration.ofSeconds(2), 0.2, List.of());
                UUID job = client.submit(JobRequests.builder("chaos-squares").params(N).retry(policy).build());
                List<UUID> side = new ArrayList<>();
                for (int i = 0; i < SIDE_JOBS; i++) {
                    side.add(client.submit(JobRequests.builder("chaos-squares").params(10L).ttlAfterFinished(Duration.ofSeconds(1)).build()));
                }
                LongSupplier done = () -> Sql.count(db, "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job);
                Replays replays = new Replays(client, db, job);

                reach(done, 0.05, replays);
                note(log, started, done, "suspend", client.suspend(job, "chaos", Duration.ofSeconds(30)).message());
                Thread.sleep(5_000); // the job stays suspended a while: held tasks must not be presumed lost meanwhile
                assertEquals("SUSPENDED", Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", job));
                note(log, started, done, "still suspended", "5 s later");
                note(log, started, done, "resume", client.resume(job, "chaos", Duration.ofSeconds(30)).message());

                reach(done, 0.10, replays);
                executors.get(0).destroyForcibly();
                executors.set(0, executor(processes, "chaos-exec-4", bootstrap, topics, executorGroup));
                note(log, started, done, "executor SIGKILL", "chaos-exec-1 killed, chaos-exec-4 started");

                reach(done, 0.20, replays);
                Process up1 = executor(processes, "chaos-up-1", bootstrap, topics, executorGroup);
                Process up2 = executor(processes, "chaos-up-2", bootstrap, topics, executorGroup);
                Thread.sleep(2_000); // scaled up, then straight back down, as an autoscaler may
                up1.destroy();
                up2.destroy();
                note(log, started, done, "scale up and down", "2 executors started, SIGTERMed 2 s later");

                reach(done, 0.30, replays);
                String owner = Sql.text(db, "SELECT o.owner FROM fanout_partition_owner o JOIN fanout_job j ON j.owner_partition = o.partition "
                        + "WHERE j.job_id = ?", job);
                int victim = owner.equals("chaos-coord-a") ? 0 : 1;
                coordinators[victim].destroyForcibly();
                coordinators[victim] = coordinator(processes, "chaos-coord-c" + victim, bootstrap, topics, executorGroup, jdbcUrl);
                everyCoordinator.add(coordinators[victim]);
                note(log, started, done, "coordinator SIGKILL", owner + " (the job's owner) killed, a new coordinator started");

                reach(done, 0.40, replays);
                broker.kill();
                Thread.sleep(8_000);
                broker.startAgain();
                note(log, started, done, "broker SIGKILL", "down 8 s");

                reach(done, 0.55, replays);
                pg[0].close();
                Thread.sleep(3_000);
                pg[0] = startPostgres(pgData, pgPort);
                note(log, started, done, "PostgreSQL restart", "down 3 s");

                await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                    replays.replayWaiting();
                    return "SUCCEEDED".equals(Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", job));
                });
                note(log, started, done, "job SUCCEEDED", replays.sent + " dead letters replayed");

                long expected = N * (N + 1) * (2 * N + 1) / 6;
                assertEquals(String.valueOf(expected), Sql.text(db, "SELECT result_json FROM fanout_job WHERE job_id = ?", job), "the exact result");
                assertEquals(N + 2, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job),
                        "the root, every item and the reduce succeeded");
                assertEquals(N + 2, Sql.count(db, "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job), "each counted once");
                long overspent = Sql.count(db, """
                        SELECT count(*) FROM fanout_task t WHERE t.job_id = ? AND t.attempt >= ? + (SELECT count(*) FROM fanout_replay r
                          JOIN fanout_dead_letter d ON d.id = r.letter_id WHERE d.task_id = t.task_id AND r.action = 'replay')""", job, MAX_ATTEMPTS);
                assertEquals(0, overspent, "no task used more attempts than its policy allows, plus one per replay");
                await().atMost(Duration.ofMinutes(1)).until(() -> side.stream().allMatch(s -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", s) == 0));
                assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_job WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'REJECTED')"),
                        "no job left open");
                assertEquals(0, Sql.count(db, "SELECT coalesce(sum(in_flight), 0) FROM fanout_job"), "nothing counted in flight");
                assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_task_held"), "nothing held");
                long again = Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job);
                long resent = 0;
                for (Process p : everyCoordinator) {
                    resent += processes.output(p).lines().filter(l -> l.contains("were never received")).count();
                }
                note(log, started, done, "lost records", resent + " warnings of task records sent again (none was lost here)");
                note(log, started, done, "checked", "exact result, attempts within policy (" + again + " tasks needed more than one), "
                        + "side jobs deleted by retention, no job open, in_flight 0");
            }
        } finally {
            System.out.println("single-writer chaos, " + N + " tasks:");
            log.forEach(line -> System.out.println("  " + line));
            pg[0].close();
        }
    }

    /** Replays the job's waiting dead letters, a command per batch of them, as an operator would. */
    private static final class Replays {
        private final FanoutClient client;
        private final DataSource db;
        private final UUID job;
        int sent;

        Replays(FanoutClient client, DataSource db, UUID job) {
            this.client = client;
            this.db = db;
            this.job = job;
        }

        void replayWaiting() throws Exception {
            List<Long> dead = new ArrayList<>();
            try (Connection c = db.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM fanout_dead_letter WHERE state = 'DEAD' AND job_id = '" + job + "' ORDER BY id LIMIT 500")) {
                while (rs.next()) {
                    dead.add(rs.getLong(1));
                }
            }
            if (!dead.isEmpty()) {
                client.letters(new LetterCommand(UUID.randomUUID(), LetterCommand.Kind.REPLAY, job, dead, false, "chaos"), Duration.ofSeconds(30));
                sent += dead.size();
            }
        }
    }

    /** Waits until the job has done this fraction of its tasks, replaying its dead letters meanwhile. */
    private static void reach(LongSupplier done, double fraction, Replays replays) {
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500)).until(() -> {
            replays.replayWaiting();
            return done.getAsLong() >= fraction * N;
        });
    }

    private static void note(List<String> log, long started, LongSupplier done, String event, String what) {
        String line = String.format("%6.1f s  %,9d done  %-20s %s", (System.nanoTime() - started) / 1e9, done.getAsLong(), event, what);
        log.add(line);
        System.out.println("chaos: " + line);
    }

    private static EmbeddedPostgres startPostgres(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                .setServerConfig("max_connections", "200").start();
    }

    private static Process coordinator(FanoutProcesses processes, String id, String bootstrap, TopicNames topics, String executorGroup, String jdbcUrl)
            throws IOException {
        return processes.start("coordinator", "--coordinator-id", id, "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(),
                "--group-id", topics.prefix() + "coordinators", "--executor-group", executorGroup, "--jdbc-url", jdbcUrl, "--db-user", "postgres",
                "--task-lost-after", "PT10S", "--reconcile-interval", "PT2S", "--retention-interval", "PT1S",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000");
    }

    private static Process executor(FanoutProcesses processes, String id, String bootstrap, TopicNames topics, String group) throws IOException {
        return processes.start("executor", "--processor", "chaos-squares=" + Squares.class.getName(), "--bootstrap-servers", bootstrap,
                "--topic-prefix", topics.prefix(), "--group-id", group, "--executor-id", id, "--concurrency", "4", "--heartbeat-interval", "PT0.5S");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
