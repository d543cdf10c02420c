package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.client.FanoutClient;
import io.fanout.examples.Greeter;
import io.fanout.examples.PrimeCount;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The commands operators run, as real separate processes: coordinator, executors in two pools, status, executors. */
class CliProcessesIT {

    private final FanoutProcesses processes = new FanoutProcesses();
    private UUID greetJob;

    @Test
    void coordinatorAndExecutorProcessesRunJobsAndStopGracefully() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        TopicNames topics = new TopicNames("cli-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        assertEquals(0, run("topics", "apply", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(),
                "--coordinator-partitions", "2", "--task-partitions", "2", "--pool", "cpu=2").exitCode(), "topics apply");

        int coordinatorMetrics = freePort();
        int executorMetrics = freePort();
        Process coordinator = start("coordinator", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--jdbc-url", jdbcUrl,
                "--db-user", SharedInfrastructure.dbUser(), "--pools", "default,cpu", "--group-id", topics.prefix() + "coordinators",
                "--metrics-port", Integer.toString(coordinatorMetrics));
        Process greeter = start("executor", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--group-id", topics.prefix() + "exec",
                "--processor", "greet=" + Greeter.class.getName(), "--executor-id", "proc-greeter");
        Process primes = start("executor", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--group-id", topics.prefix() + "exec",
                "--pool", "cpu", "--processor", "primes=" + PrimeCount.class.getName(), "--concurrency", "2", "--executor-id", "proc-primes",
                "--metrics-port", Integer.toString(executorMetrics));

        try (FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
            UUID greet = client.submit(JobRequests.builder("greet").params(Map.of("name", "ops")).build());
            greetJob = greet;
            UUID count = client.submit(JobRequests.builder("primes").params(new PrimeCount.Params(1_000_000, 50)).pool("cpu").build());
            JobEvent greeted = client.await(greet, Duration.ofMinutes(2));
            JobEvent counted = client.await(count, Duration.ofMinutes(2));
            assertEquals("hello, ops", greeted.result().asText());
            assertEquals(78_498, counted.result().asLong());

            FanoutProcesses.Result status = run("status", count.toString(), "--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser());
            assertEquals(0, status.exitCode());
            assertThat(status.out()).contains("state      SUCCEEDED").contains("result     78498").contains("SUCCEEDED   52");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                FanoutProcesses.Result executors = run("executors", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--group-id", topics.prefix() + "exec");
                assertThat(executors.out()).contains("pool cpu (topic " + topics.tasks("cpu") + ", group " + topics.prefix() + "exec.cpu): 1 executors, 0 tasks waiting")
                        .contains("pool default (topic " + topics.tasks() + ", group " + topics.prefix() + "exec): 1 executors, 0 tasks waiting")
                        .contains("executor proc-primes on").contains("runs [primes], concurrency 2")
                        .contains("executor proc-greeter on");
            });
        }

        String[] db = {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        String[] kafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()};
        FanoutProcesses.Result added = run(concat(new String[] {"schedule", "add", "nightly", "--cron", "0 2 * * *", "--zone", "Europe/Berlin",
                "--request", "{\"processor\": \"greet\"}"}, db));
        assertEquals(0, added.exitCode(), added.err());
        assertThat(added.out()).contains("schedule nightly: '0 2 * * *' in Europe/Berlin, policy FORBID; next run");
        assertThat(run(concat(new String[] {"schedule", "list"}, db)).out()).contains("nightly").contains("0 2 * * *");
        FanoutProcesses.Result badCron = run(concat(new String[] {"schedule", "add", "bad", "--cron", "nope", "--request", "{\"processor\": \"greet\"}"}, db));
        assertEquals(2, badCron.exitCode());
        assertThat(badCron.err()).contains("schedule cron 'nope' is not a cron expression");
        FanoutProcesses.Result cancelDone = run(concat(new String[] {"cancel", greetJob.toString()}, kafka));
        assertEquals(1, cancelDone.exitCode(), "a finished job cannot be cancelled");
        assertThat(cancelDone.err()).contains("is SUCCEEDED: it cannot be cancelled");
        assertEquals(4, run(concat(new String[] {"suspend", UUID.randomUUID().toString()}, kafka)).exitCode(), "no such job");

        String coordinatorScrape = scrape(coordinatorMetrics);
        assertThat(coordinatorScrape).contains("fanout_jobs_accepted_total 2.0").contains("fanout_jobs_finished_total{state=\"SUCCEEDED\"} 2.0")
                .contains("fanout_coordinator_batch_latency_seconds").contains("fanout_tasks_dispatched_total{kind=\"first\"} 52.0")
                .contains("hikaricp_connections").contains("kafka_consumer_").contains("jvm_memory_used_bytes")
                .contains("fanout_coordinator_partitions_owned 2.0")
                .contains("fanout_database_retries_total{caller=\"coordinator-batch\",outcome=\"recovered\"} 0.0").contains("fanout_scheduler_leader");
        assertThat(scrape(executorMetrics)).contains("fanout_executor_tasks_total{outcome=\"SUCCEEDED\"} 52.0")
                .contains("fanout_executor_task_duration_seconds").contains("fanout_executor_queue_wait_seconds").contains("kafka_producer_");

        for (Process p : List.of(greeter, primes, coordinator)) {
            p.destroy(); // SIGTERM: graceful stop
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stopped within a minute");
        }
    }

    @Test
    void aBadSettingFailsFastWithTheSettingsName() throws Exception {
        FanoutProcesses.Result r = run("coordinator", "--bootstrap-servers", "localhost:1", "--jdbc-url", "jdbc:mysql://nowhere/x");
        assertEquals(2, r.exitCode());
        assertThat(r.err()).contains("coordinator setting 'jdbc-url' must be a jdbc:postgresql: URL");
        FanoutProcesses.Result e = run("executor", "--examples", "--bootstrap-servers", "localhost:1", "--concurrency", "0");
        assertEquals(2, e.exitCode());
        assertThat(e.err()).contains("executor setting 'concurrency' must be at least 1, got 0");
    }

    /** Tokens made, listed and revoked by the CLI; the API served by `fanout console` as a process honours them and audits what they do. */
    @Test
    void tokensFromTheCliOpenTheConsoleProcessAndItsActionsAreAudited() throws Exception {
        String bootstrap = SharedInfrastructure.bootstrapServers();
        String jdbcUrl = SharedInfrastructure.newDatabase();
        TopicNames topics = new TopicNames("cli-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        String[] db = {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        assertEquals(0, run("topics", "apply", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()).exitCode());
        FanoutProcesses.Result created = run(concat(new String[] {"token", "create", "--name", "ci-bot", "--scope", "operate"}, db));
        assertEquals(0, created.exitCode(), created.err());
        String token = created.out().trim();
        assertThat(token).startsWith("fo_");
        assertThat(run(concat(new String[] {"token", "create", "--name", "x", "--scope", "root"}, db)).err()).contains("scope must be read, operate or admin");
        FanoutProcesses.Result listed = run(concat(new String[] {"token", "list"}, db));
        assertThat(listed.out()).contains("ci-bot").contains("operate").doesNotContain(token);

        int port = freePort();
        start(concat(new String[] {"console", "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--bind", "127.0.0.1:" + port}, db));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, java.net.http.HttpRequest.Builder> at = path ->
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path));
        await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() ->
                http.send(at.apply("/api/v1/jobs").build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode() == 401);
        java.net.http.HttpResponse<String> submitted = http.send(at.apply("/api/v1/jobs").header("Authorization", "Bearer " + token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"processor\": \"greet\"}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(202, submitted.statusCode(), submitted.body());

        FanoutProcesses.Result audit = run(concat(new String[] {"audit"}, db));
        assertEquals(0, audit.exitCode(), audit.err());
        assertThat(audit.out()).contains("ci-bot").contains("job.submit").contains("submitted");

        String id = listed.out().lines().filter(l -> l.contains("ci-bot")).findFirst().orElseThrow().split("\\s+")[0];
        assertEquals(0, run(concat(new String[] {"token", "revoke", id}, db)).exitCode());
        assertEquals(401, http.send(at.apply("/api/v1/jobs").header("Authorization", "Bearer " + token).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode(), "a revoked token opens nothing");
        assertEquals(4, run(concat(new String[] {"token", "revoke", id}, db)).exitCode(), "revoked already");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String scrape(int port) throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    @AfterEach
    void killLeftovers() {
        processes.close();
    }

    private Process start(String... args) throws IOException {
        return processes.start(args);
    }

    private FanoutProcesses.Result run(String... args) throws IOException, InterruptedException {
        return processes.run(args);
    }
}
