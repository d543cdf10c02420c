package io.fanout.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskIds;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobRequestsTest {

    private static JobRequest parse(String json) throws InvalidJobRequestException {
        return JobRequests.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String reason(String json) {
        return assertThrows(InvalidJobRequestException.class, () -> parse(json)).getMessage();
    }

    @Test
    void aKeyNamesTheSameJobEveryTime() throws Exception {
        JobRequest a = parse("{\"processor\": \"p\", \"key\": \"nightly\"}");
        JobRequest b = parse("{\"processor\": \"p\", \"key\": \"nightly\"}");
        assertEquals(a.id(), b.id());
        assertEquals(TaskIds.jobIdForKey("nightly"), a.id());
    }

    @Test
    void staticItemsGetADefaultTaskName() throws Exception {
        JobRequest r = parse("{\"processor\": \"p\", \"items\": [1, {\"a\": 2}]}");
        assertTrue(r.isStaticFanOut());
        assertEquals(2, r.items().size());
        assertEquals("item", r.taskName());
    }

    @Test
    void failureHandlingFieldsHaveDefaultsAndRoundTrip() throws Exception {
        JobRequest plain = parse("{\"processor\": \"p\"}");
        assertEquals(RetryPolicy.DEFAULT, plain.retry());
        assertNull(plain.taskTimeout());
        assertNull(plain.deadline());
        JobRequest r = parse("""
                {"processor": "p", "taskTimeoutMs": 5000, "deadlineMs": 60000, "maxFailedTasks": 2,
                 "retry": {"maxAttempts": 5, "initialBackoffMs": 100, "multiplier": 3, "maxBackoffMs": 1000, "jitter": 0,
                           "nonRetryable": ["java.lang.IllegalArgumentException"]}}""");
        assertEquals(new RetryPolicy(5, Duration.ofMillis(100), 3, Duration.ofSeconds(1), 0, List.of("java.lang.IllegalArgumentException")), r.retry());
        assertEquals(Duration.ofSeconds(5), r.taskTimeout());
        assertEquals(Duration.ofMinutes(1), r.deadline());
        assertEquals(2, r.maxFailedTasks());
        assertEquals(r, JobRequests.parse(JobRequests.toJson(r)));
    }

    @Test
    void backoffGrowsByTheMultiplierUpToTheCapWithinTheJitter() {
        RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), 2, Duration.ofMillis(1000), 0.5, List.of());
        assertEquals(Duration.ofMillis(100), p.backoff(0, 0.5));
        assertEquals(Duration.ofMillis(400), p.backoff(2, 0.5));
        assertEquals(Duration.ofMillis(1000), p.backoff(9, 0.5));
        assertEquals(Duration.ofMillis(200), p.backoff(2, 0.0));
        assertEquals(Duration.ofMillis(600), p.backoff(2, 1.0));
        assertTrue(p.allowsAnotherAfter(8));
        assertTrue(!p.allowsAnotherAfter(9));
    }

    @Test
    void everyMalformedRequestGetsAReason() {
        assertTrue(reason("{\"processor\": \"p\", \"retry\": 3}").contains("'retry' must be an object"));
        assertTrue(reason("{\"processor\": \"p\", \"retry\": {\"tries\": 3}}").contains("unknown field 'retry.tries'"));
        assertTrue(reason("{\"processor\": \"p\", \"retry\": {\"maxAttempts\": 0}}").contains("'maxAttempts' must be a whole number from 1 to 100"));
        assertTrue(reason("{\"processor\": \"p\", \"retry\": {\"jitter\": 2}}").contains("jitter must be a fraction 0-1"));
        assertTrue(reason("{\"processor\": \"p\", \"retry\": {\"nonRetryable\": [\"not a class\"]}}").contains("class names"));
        assertTrue(reason("{\"processor\": \"p\", \"taskTimeoutMs\": -1}").contains("'taskTimeoutMs' must be a whole number from 0 to 31536000000"));
        // times so long that a clock reading plus them overflows (every attempt would time out at once) are refused
        assertTrue(reason("{\"processor\": \"p\", \"taskTimeoutMs\": 9223372036854775807}").contains("'taskTimeoutMs' must be a whole number from 0 to"));
        assertTrue(reason("{\"processor\": \"p\", \"deadlineMs\": 9223372036854775807}").contains("'deadlineMs' must be a whole number from 0 to"));
        assertTrue(reason("{\"processor\": \"p\", \"retry\": {\"maxBackoffMs\": 9223372036854775807}}").contains("'maxBackoffMs' must be a whole number"));
        assertTrue(reason("{\"processor\": \"p\", \"deadlineMs\": \"1h\"}").contains("'deadlineMs' must be a whole number"));
        assertTrue(reason("nope").startsWith("not JSON"));
        assertEquals("empty record: a job request is a JSON object", assertThrows(InvalidJobRequestException.class,
                () -> JobRequests.parse(new byte[0])).getMessage());
        assertEquals("a job request is a JSON object, got array", reason("[]"));
        assertEquals("missing field 'processor'", reason("{}"));
        assertEquals("field 'processor' must be a string, got number", reason("{\"processor\": 7}"));
        assertTrue(reason("{\"processor\": \"has space\"}").contains("must be 1-200 letters"));
        assertTrue(reason("{\"processor\": \"p\", \"extra\": 1}").contains("unknown field 'extra'"));
        assertEquals("field 'id' must be a UUID, got 'x'", reason("{\"processor\": \"p\", \"id\": \"x\"}"));
        assertEquals("field 'items' is empty: a static fan-out needs at least one item", reason("{\"processor\": \"p\", \"items\": []}"));
        assertEquals("items[1] is null", reason("{\"processor\": \"p\", \"items\": [1, null]}"));
        assertEquals("field 'taskName' goes with 'items' (a static fan-out)", reason("{\"processor\": \"p\", \"taskName\": \"t\"}"));
        assertTrue(reason("{\"processor\": \"p\", \"items\": [1], \"taskName\": \"fanout:root\"}").contains("reserved"));
        assertTrue(reason("{\"processor\": \"p\", \"key\": \"\"}").contains("field 'key' must be 1-200"));
        assertTrue(reason("{\"processor\": \"p\", \"key\": \"a\\u0000b\"}").contains("none of them control characters"));
    }

    @Test
    void theBuilderWritesWhatTheParserReads() throws Exception {
        UUID id = UUID.randomUUID();
        JobRequest built = JobRequests.builder("p").id(id).params(Map.of("n", 3)).items(List.of("a", "b"), "letters").build();
        JobRequest back = JobRequests.parse(JobRequests.toJson(built));
        assertEquals(id, back.id());
        assertEquals(3, back.params().get("n").asInt());
        assertEquals("letters", back.taskName());
        assertNull(back.key());
    }

    @Test
    void aJobNamesItsPoolOrRunsInTheDefaultOne() throws Exception {
        assertEquals("default", parse("{\"processor\": \"p\"}").pool());
        assertEquals("gpu", parse("{\"processor\": \"p\", \"pool\": \"gpu\"}").pool());
        assertTrue(reason("{\"processor\": \"p\", \"pool\": \"Big GPUs\"}").startsWith("field 'pool' must be 1-63 of a-z 0-9 _ -"));
        assertEquals("gpu", JobRequests.parse(JobRequests.toJson(JobRequests.builder("p").pool("gpu").build())).pool());
        TopicNames names = new TopicNames("f.");
        assertEquals("f.tasks", names.tasks("default"));
        assertEquals("f.tasks.gpu", names.tasks("gpu"));
        assertEquals("gpu", names.poolOfTaskTopic("f.tasks.gpu"));
        assertEquals("default", names.poolOfTaskTopic("f.tasks"));
        assertNull(names.poolOfTaskTopic("f.status"));
    }

    @Test
    void aJobMaySetItsTimeToLiveAndItsAlertReceivers() throws Exception {
        JobRequest plain = parse("{\"processor\":\"p\"}");
        assertNull(plain.ttlAfterFinished(), "no TTL: the installation's default applies");
        assertNull(plain.alertWebhooks(), "no receivers: the installation's apply");
        JobRequest own = parse("{\"processor\":\"p\",\"ttlAfterFinishedMs\":0,\"alerts\":{\"webhooks\":[\"https://hooks.example/a\"]}}");
        assertEquals(Duration.ZERO, own.ttlAfterFinished());
        assertEquals(List.of(java.net.URI.create("https://hooks.example/a")), own.alertWebhooks());
        assertEquals(List.of(), parse("{\"processor\":\"p\",\"alerts\":{\"webhooks\":[]}}").alertWebhooks(), "an empty list silences the job");
        assertEquals(own, JobRequests.parse(JobRequests.toJson(own)));

        assertTrue(reason("{\"processor\":\"p\",\"ttlAfterFinishedMs\":-1}").contains("'ttlAfterFinishedMs' must be a whole number from 0"));
        assertTrue(reason("{\"processor\":\"p\",\"ttlAfterFinishedMs\":400000000000}").contains("to " + JobRequests.MAX_TTL_MS));
        assertTrue(reason("{\"processor\":\"p\",\"alerts\":\"https://x\"}").contains("field 'alerts' must be"));
        assertTrue(reason("{\"processor\":\"p\",\"alerts\":{\"webhooks\":[\"ftp://x/y\"]}}").contains("http:// or https://"));
        assertTrue(reason("{\"processor\":\"p\",\"alerts\":{\"webhooks\":[\"http://a\",\"http://b\",\"http://c\",\"http://d\",\"http://e\","
                + "\"http://f\"]}}").contains("at most 5"));
        assertTrue(reason("{\"processor\":\"p\",\"alerts\":{\"webhooks\":[\"http://a b\"]}}").contains("not a URL"));
    }

    @Test
    void oversizedRequestsAndTooManyItemsAreRefusedWithTheLimit() {
        String big = "{\"processor\":\"p\",\"params\":\"" + "x".repeat(JobRequests.MAX_REQUEST_BYTES) + "\"}";
        assertTrue(reason(big).contains("more than the " + JobRequests.MAX_REQUEST_BYTES), reason(big));
        String many = "{\"processor\":\"p\",\"items\":[" + "1,".repeat(JobRequests.MAX_ITEMS) + "1]}";
        assertTrue(reason(many).contains("holds " + (JobRequests.MAX_ITEMS + 1) + " items"), reason(many));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRequests.builder("p").params("y".repeat(JobRequests.MAX_REQUEST_BYTES)).build())
                .getMessage().contains("pass large inputs by reference"));
    }

    @Test
    void longTextIsCutSayingHowMuch() {
        String cut = Limits.truncate("z".repeat(5_000), 1_000);
        assertEquals(1_000, cut.length());
        assertTrue(cut.endsWith("... (cut from 5000 characters)"), cut);
        assertEquals("short", Limits.truncate("short", 1_000));
        assertNull(Limits.truncate(null, 10));
    }
}
