package io.fanout.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.LoggerFactory;

/**
 * How long an operator waits for cancel, suspend, resume, dead-letter replay and park through the
 * REST API: each POST is a command on the jobs topic, carried out by the coordinator that owns the
 * job (or letter) in its loop, and answered when the coordinator's event comes back, so the time of
 * a POST is command to event. One JVM: a coordinator, an executor whose tasks wait until the end
 * (or, for the letters, fail for good), and the API server.
 */
public final class CommandLatencyBenchmark {

    private final int commands;

    /** @param commands suspend/resume pairs, cancels, replays and parks measured (suspend/resume after a tenth as many to warm up) */
    public CommandLatencyBenchmark(int commands) {
        this.commands = commands;
    }

    public void run(PrintStream out, BenchSite site) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.ERROR); // the letters' tasks fail on purpose: their warnings say nothing new
        ((Logger) LoggerFactory.getLogger("io.javalin")).setLevel(Level.WARN);
        ((Logger) LoggerFactory.getLogger("org.eclipse.jetty")).setLevel(Level.WARN);
        out.printf("machine: %d cores; %s; %s%n", Runtime.getRuntime().availableProcessors(), site.describeBroker(), site.describeDatabase());
        String bootstrap = site.bootstrapServers();
        TopicNames topics = new TopicNames("cmdbench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(TopicLayout.defaults(topics));
        }
        CountDownLatch end = new CountDownLatch(1);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                .database(site.jdbcUrl(), site.user(), site.password()).build());
             FanoutExecutor executor = FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                     .executorId("cmdbench-executor").concurrency(4).processors(Map.of("wait", ctx -> {
                         end.await();
                         return null;
                     }, "fixed-later", ctx -> {
                         if (ctx.attempt() == 0) {
                             throw new NonRetryableException("broken until someone fixes it");
                         }
                         end.await(); // replayed after the fix: runs (and waits) like any other task
                         return null;
                     })).build());
             FanoutClient client = FanoutClient.connect(bootstrap, topics);
             ApiServer api = ApiServer.start(new ApiServer.Config("127.0.0.1", 0, site.jdbcUrl(), site.user(), site.password(),
                     Map.of("bootstrap.servers", bootstrap), topics, topics.prefix() + "executors"))) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(site.jdbcUrl());
            ds.setUser(site.user());
            ds.setPassword(site.password());
            String token = new ApiTokens(ds).create("bench", Scope.OPERATE, null, "bench").secret();
            Api http = new Api(api.port(), token);

            UUID running = client.submit(JobRequests.builder("wait").items(List.of(1, 2, 3, 4, 5, 6, 7, 8), "wait").build());
            awaitStored(site, running);
            suspendResume(http, running, Math.max(10, commands / 10)); // warm-up
            double[][] pairs = suspendResume(http, running, commands);
            out.printf("in one JVM: a coordinator, an executor, the API server; each POST waits for the coordinator's answering event%n");
            report(out, "suspend", pairs[0]);
            report(out, "resume", pairs[1]);

            List<UUID> jobs = new ArrayList<>();
            for (int i = 0; i < commands; i++) {
                jobs.add(client.submit(JobRequests.builder("wait").items(List.of(1), "wait").build()));
            }
            awaitStored(site, jobs.getLast());
            double[] cancels = new double[commands];
            for (int i = 0; i < commands; i++) {
                cancels[i] = http.post("/api/v1/jobs/" + jobs.get(i) + "/cancel");
            }
            report(out, "cancel", cancels);
            http.post("/api/v1/jobs/" + running + "/cancel");

            List<UUID> failing = new ArrayList<>();
            for (int i = 0; i < commands; i++) {
                failing.add(client.submit(JobRequests.builder("fixed-later").build()));
            }
            List<Long> letters = awaitLetters(site, failing);
            double[] replays = new double[commands];
            for (int i = 0; i < commands; i++) { // the job reopens and its task runs again
                replays[i] = http.post("/api/v1/dead-letters/" + letters.get(i) + "/replay");
            }
            report(out, "replay", replays);
            double[] parks = new double[commands];
            for (int i = 0; i < commands; i++) {
                parks[i] = http.post("/api/v1/dead-letters/" + letters.get(i) + "/park");
            }
            report(out, "park", parks);
        } finally {
            end.countDown();
        }
    }

    private static double[][] suspendResume(Api http, UUID job, int n) throws Exception {
        double[] suspends = new double[n];
        double[] resumes = new double[n];
        for (int i = 0; i < n; i++) {
            suspends[i] = http.post("/api/v1/jobs/" + job + "/suspend");
            resumes[i] = http.post("/api/v1/jobs/" + job + "/resume");
        }
        return new double[][] {suspends, resumes};
    }

    private static void report(PrintStream out, String what, double[] millis) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        out.printf("%-8s %,d POSTs: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", what, sorted.length, sorted[sorted.length / 2],
                sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)], sorted[sorted.length - 1]);
    }

    /** Waits until the coordinator has stored the job (the API answers 404 before). */
    private static void awaitStored(BenchSite site, UUID job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (Connection c = DriverManager.getConnection(site.jdbcUrl(), site.user(), site.password());
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM fanout_job WHERE job_id = ?")) {
            ps.setObject(1, job);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("job " + job + " was not stored within 2 minutes");
    }

    /** Waits until each job's dead letter is indexed; returns their ids, in the jobs' order. */
    private static List<Long> awaitLetters(BenchSite site, List<UUID> jobs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        try (Connection c = DriverManager.getConnection(site.jdbcUrl(), site.user(), site.password());
             PreparedStatement ps = c.prepareStatement("SELECT job_id, id FROM fanout_dead_letter WHERE job_id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("uuid", jobs.toArray()));
            while (System.nanoTime() < deadline) {
                Map<UUID, Long> found = new java.util.HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.put(rs.getObject(1, UUID.class), rs.getLong(2));
                    }
                }
                if (found.size() == jobs.size()) {
                    return jobs.stream().map(found::get).toList();
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("the jobs' dead letters were not indexed within 2 minutes");
    }

    /** The API, as an operator's script calls it. */
    private record Api(int port, String token) {
        private static final HttpClient HTTP = HttpClient.newHttpClient();

        /** POSTs and returns how long the answer took, in milliseconds; anything but 200 ends the benchmark. */
        double post(String path) throws Exception {
            long start = System.nanoTime();
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            double took = (System.nanoTime() - start) / 1e6;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return took;
        }
    }
}
