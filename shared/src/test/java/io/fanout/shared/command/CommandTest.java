package io.fanout.shared.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import io.fanout.shared.json.Json;
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
    void aLongActorIsCutAndAMissingOneIsUnknown() {
        assertEquals(Command.MAX_ACTOR, JobCommand.of(JobCommand.Kind.SUSPEND, UUID.randomUUID(), "x".repeat(500)).actor().length());
        assertEquals("unknown", JobCommand.of(JobCommand.Kind.SUSPEND, UUID.randomUUID(), null).actor());
    }

    private static String reason(String json) {
        return assertThrows(Command.InvalidCommandException.class, () -> Command.parse(Json.readTree(json))).getMessage();
    }
}
