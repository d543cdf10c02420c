package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.examples.Greeter;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI as scripts and people use it, each command a real process against the shared broker and
 * database, with a coordinator and an executor running as processes too: jobs, watch, events,
 * {@code -o json}, exit codes, --version, completion, fast failures and prompt stops.
 */
class CliCommandsIT {

    private static final Pattern JOB_ID = Pattern.compile("submitted job ([0-9a-f-]{36})");

    private static final FanoutProcesses processes = new FanoutProcesses();
    private static String bootstrap;
    private static String jdbcUrl;
    private static TopicNames topics;
    private static String[] kafka;
    private static String[] db;

    @BeforeAll
    static void startCoordinatorAndExecutor() throws Exception {
        bootstrap = SharedInfrastructure.bootstrapServers();
        jdbcUrl = SharedInfrastructure.newDatabase();
        topics = new TopicNames("clic-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafka = new String[] {"--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix()};
        db = new String[] {"--jdbc-url", jdbcUrl, "--db-user", SharedInfrastructure.dbUser()};
        assertEquals(0, processes.run(join(new String[] {"topics", "apply", "--coordinator-partitions", "2", "--task-partitions", "2"}, kafka)).exitCode());
        processes.start(join(new String[] {"coordinator", "--group-id", topics.prefix() + "coordinators"}, kafka, db));
        processes.start(join(new String[] {"executor", "--group-id", topics.prefix() + "exec", "--concurrency", "2", "--executor-id", "cli-exec",
                "--processor", "greet=" + Greeter.class.getName(), "--processor", WorkflowProcessors.Step.NAME + "=" + WorkflowProcessors.Step.class.getName(),
                "--processor", CliProcessors.Nap.NAME + "=" + CliProcessors.Nap.class.getName()},
                kafka));
        FanoutProcesses.Result first = run(join(new String[] {"submit", "greet", "--params", "{\"name\": \"cli\"}", "--wait", "--timeout", "PT2M"}, kafka, db));
        assertEquals(0, first.exitCode(), first.out() + first.err());
    }

    @AfterAll
    static void stopProcesses() {
        processes.close();
    }

    @Test
    void jobsListsNewestFirstWithFiltersAndAsJson() throws Exception {
        String processor = "greet";
        assertEquals(0, run(join(new String[] {"submit", processor, "--key", "jobs-" + UUID.randomUUID(), "--wait", "--timeout", "PT1M"}, kafka, db)).exitCode());
        // a processor no executor has, no retry: the job fails at once
        FanoutProcesses.Result failing = run(join(new String[] {"submit", "nobody-has-it", "--retry", "{\"maxAttempts\": 1}", "--wait", "--timeout", "PT1M"},
                kafka, db));
        assertEquals(1, failing.exitCode(), failing.out() + failing.err());
        assertThat(failing.out()).contains("FAILED");
        UUID failed = jobId(failing.out());

        JsonNode failedJobs = json(run(join(new String[] {"jobs", "-o", "json", "--state", "failed", "--processor", "nobody-has-it"}, db)));
        assertThat(failedJobs).hasSize(1);
        assertEquals(failed.toString(), failedJobs.get(0).get("id").asText());
        assertEquals("nobody-has-it", failedJobs.get(0).get("processor").asText());
        assertEquals(1, failedJobs.get(0).get("failed").asLong());

        JsonNode greets = json(run(join(new String[] {"jobs", "--output", "json", "--processor", processor, "--pool", "default"}, db)));
        assertThat(greets.size()).isGreaterThanOrEqualTo(2);
        greets.forEach(j -> assertEquals(processor, j.get("processor").asText()));
        for (int i = 1; i < greets.size(); i++) {
            assertThat(Instant.parse(greets.get(i - 1).get("createdAt").asText())).isAfterOrEqualTo(Instant.parse(greets.get(i).get("createdAt").asText()));
        }

        JsonNode newest = json(run(join(new String[] {"jobs", "-o", "json", "--limit", "1"}, db)));
        assertThat(newest).hasSize(1);
        assertEquals(failed.toString(), newest.get(0).get("id").asText(), "newest first");

        FanoutProcesses.Result none = run(join(new String[] {"jobs", "-o", "json", "--since", "2999-01-01"}, db));
        assertEquals(4, none.exitCode(), "nothing matched");
        assertThat(Json.readTree(none.out())).isEmpty();
        assertThat(run(join(new String[] {"jobs", "--since", "1h", "--state", "FAILED"}, db)).out()).contains("JOB").contains(failed.toString())
                .contains("nobody-has-it").contains("1/1 (1 failed)");
        FanoutProcesses.Result badLimit = run(join(new String[] {"jobs", "--limit", "0"}, db));
        assertEquals(2, badLimit.exitCode());
        assertThat(badLimit.err()).contains("--limit must be 1 to 10000, got 0");
        FanoutProcesses.Result badState = run(join(new String[] {"jobs", "--state", "DONE"}, db));
        assertEquals(2, badState.exitCode());
        assertThat(badState.err()).contains("expected one of [RUNNING, REDUCING, SUSPENDED, SUCCEEDED, FAILED, CANCELLED]");
    }

    @Test
    void watchFollowsARunningJobToItsOutcomeWithPlainProgressLinesWhenNotOnATerminal() throws Exception {
        FanoutProcesses.Result submitted = run(join(new String[] {"submit", CliProcessors.Nap.NAME, "--items", items(100), "--parallelism", "2"}, kafka));
        assertEquals(0, submitted.exitCode(), submitted.err());
        UUID job = jobId(submitted.out());
        awaitRunning(job);

        FanoutProcesses.Result watched = run(join(new String[] {"watch", job.toString()}, kafka, db));
        assertEquals(0, watched.exitCode(), watched.out() + watched.err());
        assertThat(watched.out()).contains("job " + job + " SUCCEEDED: 100 tasks");
        assertThat(watched.err()).contains("progress: ").contains("100/100 tasks 100%").doesNotContain("\r").doesNotContain("[###");
        long progressLines = watched.err().lines().filter(l -> l.startsWith("progress: ")).count();
        assertThat(progressLines).as("a first line, then at most one each 5 s, and the last").isBetween(2L, 6L);

        FanoutProcesses.Result again = run(join(new String[] {"watch", job.toString(), "-o", "json"}, kafka, db));
        assertEquals(0, again.exitCode(), "an ended job is reported at once");
        JsonNode outcome = Json.readTree(again.out());
        assertEquals("SUCCEEDED", outcome.get("type").asText());
        assertEquals(100, outcome.get("tasks").get("succeeded").asLong());

        FanoutProcesses.Result unknown = run(join(new String[] {"watch", UUID.randomUUID().toString()}, kafka, db));
        assertEquals(4, unknown.exitCode());
        assertThat(unknown.err()).startsWith("no job ");
    }

    /** On a terminal (a pseudo-terminal made by util-linux's script) the progress is a bar redrawn in place. */
    @Test
    void onATerminalTheProgressIsABar() throws Exception {
        Path script = Path.of("/usr/bin/script");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(script), "util-linux script makes the terminal");
        List<String> cmd = new ArrayList<>(FanoutProcesses.commandLine(join(new String[] {"submit", CliProcessors.Nap.NAME, "--items", items(12),
                "--parallelism", "2", "--wait", "--timeout", "PT2M"}, kafka, db)));
        String line = String.join(" ", cmd.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
        Process p = new ProcessBuilder(script.toString(), "-qefc", line, "/dev/null").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertThat(out).contains("\r[").contains("#####").contains("12/12 tasks 100%").contains("SUCCEEDED").doesNotContain("progress: ");
    }

    @Test
    void submitWaitOfAJobThatIsCancelledPrintsCancelledAndExits1() throws Exception {
        Process waiting = processes.start(join(new String[] {"submit", CliProcessors.Nap.NAME, "--items", items(200), "--parallelism", "1", "--wait",
                "--timeout", "PT5M"}, kafka, db));
        UUID job = await().atMost(Duration.ofMinutes(1)).until(() -> jobIdOrNull(processes.output(waiting)), id -> id != null);
        awaitRunning(job);
        FanoutProcesses.Result cancelled = run(join(new String[] {"cancel", job.toString(), "--as", "cli-test"}, kafka)); // a command to the job's coordinator: Kafka only
        assertEquals(0, cancelled.exitCode(), cancelled.err());

        assertTrue(waiting.waitFor(1, TimeUnit.MINUTES), "submit --wait ends with the job");
        String output = processes.output(waiting);
        assertEquals(1, waiting.exitValue(), "a cancelled job is not a success: " + output);
        assertThat(output).contains("job " + job + " CANCELLED").contains("reason: cancelled by cli-test").doesNotContain("not a final event");

        FanoutProcesses.Result status = run(join(new String[] {"status", job.toString(), "-o", "json"}, db));
        assertEquals(0, status.exitCode());
        JsonNode s = Json.readTree(status.out());
        assertEquals("CANCELLED", s.get("state").asText());
        assertThat(s.get("tasksByState").has("CANCELLED")).isTrue();
    }

    @Test
    void waitWithTheKeyOfAJobThatEndedAlreadyPrintsItsOutcomeAtOnce() throws Exception {
        String[] submit = join(new String[] {"submit", "greet", "--params", "{\"name\": \"again\"}", "--key", "once-" + UUID.randomUUID(), "--wait",
                "--timeout", "PT2M"}, kafka, db);
        FanoutProcesses.Result first = run(submit);
        assertEquals(0, first.exitCode(), first.err());

        long t0 = System.nanoTime();
        FanoutProcesses.Result second = run(submit);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, second.exitCode(), second.err());
        assertThat(second.out()).contains("SUCCEEDED").contains("result: \"hello, again\"");
        assertEquals(jobId(first.out()), jobId(second.out()), "the same job");
        assertThat(seconds).as("answered from PostgreSQL, not after the 2 min timeout").isLessThan(30);
    }

    @Test
    void anUnreachableKafkaFailsWithinSecondsNamingTheAddress() throws Exception {
        String nowhere = "localhost:" + closedPort();
        for (String[] command : List.of(new String[] {"submit", "greet", "--bootstrap-servers", nowhere},
                new String[] {"executors", "--bootstrap-servers", nowhere},
                new String[] {"events", "--bootstrap-servers", nowhere})) {
            long t0 = System.nanoTime();
            FanoutProcesses.Result r = run(command);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(5, r.exitCode(), String.join(" ", command) + ": " + r.err());
            assertThat(r.err()).contains("fanout: Kafka at " + nowhere + " did not answer").doesNotContain("fanout: null").doesNotContain("WARN");
            assertThat(seconds).as("Kafka's own 60 s would be far beyond this").isLessThan(30);
        }
    }

    @Test
    void runtimeErrorsAndUsageErrorsHaveTheirOwnExitCodes() throws Exception {
        FanoutProcesses.Result noDatabase = run("status", UUID.randomUUID().toString(), "--jdbc-url", "jdbc:postgresql://localhost:" + closedPort() + "/x");
        assertEquals(5, noDatabase.exitCode(), noDatabase.err());
        assertThat(noDatabase.err()).startsWith("fanout: cannot read job ").contains("PostgreSQL at jdbc:postgresql://localhost:").doesNotContain("null");
        FanoutProcesses.Result usage = run("status", "not-a-uuid");
        assertEquals(2, usage.exitCode());
        assertThat(usage.err()).contains("Invalid value for positional parameter").contains("Try 'fanout status --help'");
        FanoutProcesses.Result badRequest = run(join(new String[] {"submit", "greet", "--params", "{oops"}, kafka));
        assertEquals(2, badRequest.exitCode());
        assertThat(badRequest.err()).startsWith("fanout: --params is not valid JSON");
    }

    @Test
    void anExecutorWithoutProcessorsIsRefusedUnlessAskedForTheExamples() throws Exception {
        FanoutProcesses.Result refused = run(join(new String[] {"executor"}, kafka));
        assertEquals(2, refused.exitCode());
        assertThat(refused.err()).contains("name the processors this executor runs: --processor NAME=CLASS (repeatable), or --examples for the bundled examples");
    }

    /** SIGTERM: the processes close what they hold and exit; they used to wait 5 s more for a main thread that could never end. */
    @Test
    void sigtermStopsACoordinatorAndAnExecutorPromptly() throws Exception {
        // topics and a database of their own: these two must not take work or partitions from the others
        String[] ownKafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", "clistop-" + UUID.randomUUID().toString().substring(0, 8) + "."};
        String[] ownDb = {"--jdbc-url", SharedInfrastructure.newDatabase(), "--db-user", SharedInfrastructure.dbUser()};
        assertEquals(0, run(join(new String[] {"topics", "apply", "--coordinator-partitions", "1", "--task-partitions", "1"}, ownKafka)).exitCode());
        Process executor = processes.start(join(new String[] {"executor", "--examples", "--executor-id", "stop-exec"}, ownKafka));
        Process coordinator = processes.start(join(new String[] {"coordinator", "--no-sweeper"}, ownKafka, ownDb));
        await().atMost(Duration.ofMinutes(1)).until(() -> processes.output(executor).contains("stop-exec assigned"));
        await().atMost(Duration.ofMinutes(1)).until(() -> processes.output(coordinator).contains("owns job partitions"));
        for (Process p : List.of(executor, coordinator)) {
            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(processes.output(p)).contains("stopped");
            assertThat(seconds).as("stop time of " + p.info().commandLine().orElse("?")).isLessThan(4.5); // was 5.5 to 6 s
        }
    }

    @Test
    void versionComesFromTheBuildAndCompletionCompletesCommandsOptionsAndValues() throws Exception {
        String version = System.getProperty("fanout.version");
        assertThat(version).isNotBlank();
        FanoutProcesses.Result v = run("--version");
        assertEquals(0, v.exitCode());
        assertThat(v.out()).startsWith("fanout " + version + System.lineSeparator()).contains("Java ");
        assertThat(run("jobs", "--version").out()).startsWith("fanout " + version);

        FanoutProcesses.Result completion = run("completion");
        assertEquals(0, completion.exitCode());
        Path script = Files.createTempFile("fanout-completion", ".bash");
        try {
            Files.writeString(script, completion.out());
            assertEquals("jobs", complete(script, "fanout", "jo"));
            assertEquals("--state", complete(script, "fanout", "jobs", "--st"));
            assertEquals("RUNNING REDUCING SUSPENDED SUCCEEDED FAILED CANCELLED", complete(script, "fanout", "jobs", "--state", ""));
            assertEquals("--from-beginning", complete(script, "fanout", "events", "--from-b"));
        } finally {
            Files.delete(script);
        }
    }

    @Test
    void readCommandsSpeakJson() throws Exception {
        FanoutProcesses.Result failing = run(join(new String[] {"submit", "missing-processor", "--retry", "{\"maxAttempts\": 1}", "--wait"}, kafka, db));
        UUID failed = jobId(failing.out());

        JsonNode status = json(run(join(new String[] {"status", failed.toString(), "-o", "json"}, db)));
        assertEquals("FAILED", status.get("state").asText());
        assertEquals(1, status.get("tasksByState").get("FAILED").asLong());

        // letters are indexed from the dead-letter topic, a moment after the job ended
        JsonNode letters = await().atMost(Duration.ofSeconds(30)).until(
                () -> json(run(join(new String[] {"dlq", "list", "--job", failed.toString(), "-o", "json"}, kafka, db))), l -> l.size() == 1);
        long letter = letters.get(0).get("id").asLong();
        JsonNode shown = json(run(join(new String[] {"dlq", "show", Long.toString(letter), "-o", "json"}, kafka, db)));
        assertEquals(failed.toString(), shown.get("letter").get("jobId").asText());
        assertThat(shown.get("replays").isArray()).isTrue();
        // a replay its coordinator cannot answer in time is pending (exit 3), never reported done (a dry run: it changes nothing meanwhile)
        FanoutProcesses.Result pending = run(join(new String[] {"dlq", "replay", Long.toString(letter), "--dry-run", "--timeout", "PT0.001S"}, kafka, db));
        assertEquals(3, pending.exitCode(), pending.out() + pending.err());
        assertThat(pending.out() + pending.err()).contains("pending").doesNotContain("1 of 1 would be replayed");

        JsonNode executors = json(run(join(new String[] {"executors", "-o", "json", "--group-id", topics.prefix() + "exec"}, kafka)));
        assertThat(executors.get("pools").get(0).get("pool").asText()).isEqualTo("default");
        assertThat(executors.get("live").toString()).contains("cli-exec");

        assertEquals(0, run(join(new String[] {"schedule", "add", "json-nightly", "--cron", "0 3 * * *", "--request", "{\"processor\": \"greet\"}"}, db)).exitCode());
        JsonNode schedules = json(run(join(new String[] {"schedule", "list", "-o", "json"}, db)));
        assertEquals("json-nightly", schedules.get(0).get("name").asText());
        assertThat(schedules.get(0).get("nextFireAt").asText()).endsWith("Z");

        assertEquals(0, run(join(new String[] {"token", "create", "--name", "json-bot", "--scope", "read"}, db)).exitCode());
        JsonNode tokens = json(run(join(new String[] {"token", "list", "-o", "json"}, db)));
        assertThat(tokens.toString()).contains("json-bot").doesNotContain("fo_");
        assertThat(json(run(join(new String[] {"audit", "-o", "json"}, db))).isArray()).isTrue();
        // issue 22: token changes from the command line are in the audit log, found by action
        JsonNode created = json(run(join(new String[] {"audit", "--action", "token.create", "-o", "json"}, db)));
        assertThat(created.toString()).contains("json-bot, scope read").contains("command line");
        String botId = java.util.stream.StreamSupport.stream(tokens.spliterator(), false).filter(t -> t.get("name").asText().equals("json-bot"))
                .findFirst().orElseThrow().get("id").asText();
        assertEquals(0, run(join(new String[] {"token", "revoke", botId}, db)).exitCode());
        assertThat(json(run(join(new String[] {"audit", "--action", "token.revoke", "-o", "json"}, db))).toString()).contains(botId);
        assertEquals(2, run(join(new String[] {"audit", "--before", "0"}, db)).exitCode());

        Path def = Files.createTempFile("one-step", ".json");
        Files.writeString(def, "{\"name\": \"one-step\", \"nodes\": [{\"name\": \"only\", \"job\": {\"processor\": \"step\"}}]}");
        assertEquals(0, run(join(new String[] {"workflow", "define", def.toString()}, db)).exitCode());
        Files.delete(def);
        JsonNode workflows = json(run(join(new String[] {"workflow", "list", "-o", "json"}, db)));
        assertEquals("one-step", workflows.get(0).get("name").asText());
        assertEquals(1, workflows.get(0).get("nodes").asInt());
        FanoutProcesses.Result ran = run(join(new String[] {"workflow", "run", "one-step", "--wait", "--timeout", "PT2M"}, kafka));
        assertEquals(0, ran.exitCode(), ran.out() + ran.err());
        Matcher m = Pattern.compile("submitted workflow run ([0-9a-f-]{36})").matcher(ran.out());
        assertTrue(m.find());
        JsonNode run = json(run(join(new String[] {"workflow", "status", m.group(1), "-o", "json"}, db)));
        assertEquals("SUCCEEDED", run.get("state").asText());
        assertEquals("only", run.get("nodes").get(0).get("node").asText());

        // the job's events as published, one JSON object a line; --job ends the command at the job's final event
        FanoutProcesses.Result events = run(join(new String[] {"events", "--job", failed.toString(), "--from-beginning", "-o", "json"}, kafka));
        assertEquals(0, events.exitCode(), events.err());
        List<String> types = events.out().lines().map(l -> Json.readTree(l).get("type").asText()).toList();
        assertEquals("ACCEPTED", types.get(0));
        assertEquals("FAILED", types.get(types.size() - 1));
        FanoutProcesses.Result finals = run(join(new String[] {"events", "--job", failed.toString(), "--from-beginning", "--type", "FAILED"}, kafka));
        assertThat(finals.out().lines()).singleElement().asString().contains("FAILED").contains(failed.toString()).contains("1/1 tasks (1 failed)");
    }

    @Test
    void eventsTailsTheTopicFromNowOnUntilStopped() throws Exception {
        Process tail = processes.start(join(new String[] {"events"}, kafka));
        await().atMost(Duration.ofMinutes(1)).until(() -> processes.output(tail).contains("events of " + topics.jobEvents() + " from now on (Ctrl-C stops)"));
        FanoutProcesses.Result submitted = run(join(new String[] {"submit", "greet", "--params", "{\"name\": \"tail\"}", "--wait"}, kafka));
        UUID job = jobId(submitted.out());
        await().atMost(Duration.ofSeconds(30)).until(() -> processes.output(tail).contains("SUCCEEDED      " + job));
        assertThat(processes.output(tail)).contains("ACCEPTED       " + job).contains("result \"hello, tail\"");
        tail.destroy();
        assertTrue(tail.waitFor(10, TimeUnit.SECONDS));
    }

    private static void awaitRunning(UUID job) {
        await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> {
            JsonNode j = json(run(join(new String[] {"status", job.toString(), "-o", "json"}, db)));
            return j.get("succeeded").asLong() > 0;
        });
    }

    /** What bash completes for the words typed, through the generated script. */
    private static String complete(Path script, String... words) throws Exception {
        String array = String.join(" ", java.util.Arrays.stream(words).map(w -> "'" + w + "'").toList());
        String bash = "source '" + script + "' 2>/dev/null; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE=\"${COMP_WORDS[*]}\"; "
                + "COMP_POINT=${#COMP_LINE}; _complete_fanout 2>/dev/null; echo \"${COMPREPLY[*]}\"";
        Process p = new ProcessBuilder("bash", "-c", bash).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    private static String items(int n) {
        return IntStream.range(0, n).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    private static JsonNode json(FanoutProcesses.Result r) {
        assertThat(r.exitCode()).as(r.err()).isIn(0, 4);
        return Json.readTree(r.out());
    }

    private static UUID jobId(String out) {
        UUID id = jobIdOrNull(out);
        assertThat(id).as(out).isNotNull();
        return id;
    }

    private static UUID jobIdOrNull(String out) {
        Matcher m = JOB_ID.matcher(out);
        return m.find() ? UUID.fromString(m.group(1)) : null;
    }

    private static int closedPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String[] join(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    private static FanoutProcesses.Result run(String... args) throws IOException, InterruptedException {
        return processes.run(args);
    }
}
