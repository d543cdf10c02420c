package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FanoutCliTest {

    private static SubmitCommand submit(String... args) {
        SubmitCommand cmd = new SubmitCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    @Test
    void submitBuildsTheSameRequestAsTheJsonFormat() throws Exception {
        JobRequest r = submit("primes", "--params", "{\"limit\": 100}", "--key", "k1").request();
        assertEquals("primes", r.processor());
        assertEquals(100, r.params().get("limit").asInt());
        assertEquals("k1", r.key());
    }

    @Test
    void submitTakesTheFailureHandlingAndParallelismFields() throws Exception {
        JobRequest r = submit("p", "--retry", "{\"maxAttempts\": 5}", "--task-timeout", "PT30S", "--deadline", "PT1H", "--max-failed-tasks", "2",
                "--parallelism", "8").request();
        assertEquals(5, r.retry().maxAttempts());
        assertEquals(java.time.Duration.ofSeconds(30), r.taskTimeout());
        assertEquals(java.time.Duration.ofHours(1), r.deadline());
        assertEquals(2, r.maxFailedTasks());
        assertEquals(8, r.parallelism());
    }

    @Test
    void submitTakesTheTimeToLiveAndTheJobsOwnAlertReceivers() throws Exception {
        JobRequest r = submit("p", "--ttl-after-finished", "PT0S", "--alert-webhook", "https://hooks.example/a", "--alert-webhook",
                "https://hooks.example/b").request();
        assertEquals(java.time.Duration.ZERO, r.ttlAfterFinished());
        assertEquals(java.util.List.of(java.net.URI.create("https://hooks.example/a"), java.net.URI.create("https://hooks.example/b")),
                r.alertWebhooks());
        assertTrue(assertThrows(InvalidJobRequestException.class, () -> submit("p", "--alert-webhook", "ftp://x/y").request())
                .getMessage().contains("http:// or https://"));
    }

    @Test
    void badSubmitInputIsAClearErrorBeforeAnythingIsSent() {
        assertTrue(assertThrows(InvalidJobRequestException.class, () -> submit("p", "--params", "{oops").request())
                .getMessage().startsWith("--params is not valid JSON"));
        assertEquals("field 'items' must be an array, got object",
                assertThrows(InvalidJobRequestException.class, () -> submit("p", "--items", "{}").request()).getMessage());
        assertEquals("field 'taskName' goes with 'items' (a static fan-out)",
                assertThrows(InvalidJobRequestException.class, () -> submit("p", "--task-name", "t").request()).getMessage());
    }

    @Test
    void unknownOptionsAndMissingArgumentsExitWithUsageErrors() {
        assertEquals(2, FanoutCli.run("submit"));
        assertEquals(2, FanoutCli.run("no-such-command"));
        assertEquals(0, FanoutCli.run("--help"));
    }

    @Test
    void anExecutorMustBeToldWhichProcessorsToRun() {
        assertEquals(2, FanoutCli.run("executor", "--bootstrap-servers", "localhost:1"));
        assertEquals(2, FanoutCli.run("jobs", "--limit", "0"));
        assertEquals(2, FanoutCli.run("events", "--from-beginning", "--since", "1h"));
        assertEquals(2, FanoutCli.run("jobs", "-o", "yaml"));
    }

    @Test
    void everyCommandKnowsTheVersionAndWorkflowRunKeepsItsOwnVersionOption() {
        assertEquals(0, FanoutCli.run("--version"));
        assertEquals(0, FanoutCli.run("dlq", "list", "--version"));
        assertEquals(0, FanoutCli.run("workflow", "run", "--help"));
    }
}
