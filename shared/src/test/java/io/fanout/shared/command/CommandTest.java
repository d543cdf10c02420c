package io.fanout.shared.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import io.fanout.shared.json.Json;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Commands on the wire: what any Kafka client may send, and the reason given for what cannot be read. */
class CommandTest {

    @Test
    void jobAndRunCommandsSurviveTheWire() throws Exception {
        JobCommand cancel = JobCommand.of(JobCommand.Kind.CANCEL, UUID.randomUUID(), "alice");
        assertEquals(cancel, Command.parse(Json.readTree(cancel.toJson())));
        RunCommand retry = RunCommand.retry(UUID.randomUUID(), "load", "bob");
        assertEquals(retry, Command.parse(Json.readTree(retry.toJson())));
        RunCommand mark = RunCommand.markSucceeded(UUID.randomUUID(), "f", IntNode.valueOf(41), "carol");
        assertEquals(mark, Command.parse(Json.readTree(mark.toJson())));
        assertEquals("mark-succeeded of workflow run " + mark.runId(), mark.describe());
    }

    @Test
    void aCommandIsToldFromARequestByItsCommandField() {
        assertTrue(Command.isCommand(Json.readTree("{\"command\": \"cancel\"}")));
        assertFalse(Command.isCommand(Json.readTree("{\"processor\": \"primes\"}")));
        assertFalse(Command.isCommand(Json.readTree("[1]")));
    }

    @Test
    void anUnreadableCommandSaysWhichFieldIsWrong() {
        UUID id = UUID.randomUUID();
        assertEquals("unknown command 'stop' for a job (known: cancel, suspend, resume)",
                reason("{\"command\": \"stop\", \"id\": \"" + id + "\", \"job\": \"" + id + "\"}"));
        assertEquals("field 'job' must be a UUID, got 'nope'", reason("{\"command\": \"cancel\", \"id\": \"" + id + "\", \"job\": \"nope\"}"));
        assertEquals("field 'id' is required, a string", reason("{\"command\": \"cancel\", \"job\": \"" + id + "\"}"));
        assertEquals("unknown field 'force' in a command (known: actor, command, id, job)",
                reason("{\"command\": \"cancel\", \"id\": \"" + id + "\", \"job\": \"" + id + "\", \"force\": true}"));
        assertEquals("field 'node' is required, a string", reason("{\"command\": \"mark-succeeded\", \"id\": \"" + id + "\", \"run\": \"" + id + "\"}"));
        assertEquals("field 'result' goes with mark-succeeded",
                reason("{\"command\": \"retry\", \"id\": \"" + id + "\", \"run\": \"" + id + "\", \"result\": 1}"));
        assertEquals("field 'actor' must be a string", reason("{\"command\": \"cancel\", \"id\": \"" + id + "\", \"job\": \"" + id + "\", \"actor\": 7}"));
        assertEquals(id, Command.claimedTarget(Json.readTree("{\"command\": \"stop\", \"job\": \"" + id + "\"}")));
        assertNull(Command.claimedTarget(Json.readTree("{\"command\": \"stop\", \"job\": 3}")));
    }

    @Test
    void deadLetterCommandsSurviveTheWireWithOrWithoutAJob() throws Exception {
        LetterCommand replay = LetterCommand.replay(UUID.randomUUID(), List.of(12L, 13L, 12L), true, "dana");
        assertEquals(List.of(12L, 13L), replay.letters(), "a letter named twice is replayed once");
        assertEquals(replay, Command.parse(Json.readTree(replay.toJson())));
        LetterCommand park = LetterCommand.park(null, List.of(7L), "erin");
        assertEquals(park, Command.parse(Json.readTree(park.toJson())));
        assertEquals(LetterCommand.NO_JOB, park.target(), "letters of unreadable records are keyed alike; their owner is found from the letters");
        assertEquals("park of dead letter 7", park.describe());
        List<LetterResult> results = List.of(new LetterResult(7, true, "parked after 0 replays"), LetterResult.wouldBe(8, "task x dispatched as attempt 2"));
        assertEquals(results, LetterResult.fromJson(LetterResult.toJson(results)));
        assertTrue(results.get(1).wouldReplay());
    }

    @Test
    void anUnreadableDeadLetterCommandSaysWhy() {
        UUID id = UUID.randomUUID();
        String head = "{\"command\": \"replay\", \"id\": \"" + id + "\", ";
        assertEquals("field 'letters' is required, an array of 1 to 500 dead-letter ids", reason(head + "\"letters\": []}"));
        assertEquals("field 'letters' holds dead-letter ids (positive integers), got \"x\"", reason(head + "\"letters\": [\"x\"]}"));
        assertEquals("field 'letters' holds dead-letter ids (positive integers), got -1", reason(head + "\"letters\": [-1]}"));
        assertEquals("field 'dryRun' must be true or false", reason(head + "\"letters\": [1], \"dryRun\": \"yes\"}"));
        assertEquals("a park has no dry run", reason("{\"command\": \"park\", \"id\": \"" + id + "\", \"letters\": [1], \"dryRun\": true}"));
        assertEquals("unknown command 'delete' for dead letters (known: replay, park)",
                reason("{\"command\": \"delete\", \"id\": \"" + id + "\", \"letters\": [1]}"));
        assertEquals("field 'letters' is required, an array of 1 to 500 dead-letter ids",
                reason(head + "\"letters\": [" + "1,".repeat(500) + "1]}"));
        assertNull(Command.claimedTarget(Json.readTree(head + "\"letters\": []}")), "no job: a rejection names none");
    }

    @Test
    void aLongActorIsCutAndAMissingOneIsUnknown() {
        assertEquals(Command.MAX_ACTOR, JobCommand.of(JobCommand.Kind.SUSPEND, UUID.randomUUID(), "x".repeat(500)).actor().length());
        assertEquals("unknown", JobCommand.of(JobCommand.Kind.SUSPEND, UUID.randomUUID(), null).actor());
    }

    private static String reason(String json) {
        return assertThrows(Command.InvalidCommandException.class, () -> Command.parse(Json.readTree(json))).getMessage();
    }
}
