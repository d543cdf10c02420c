package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * An operator's order, sent as JSON on the jobs topic keyed by what it acts on, and carried out by
 * the coordinator that owns that (a job, or a workflow run), in its own loop. Every command has an
 * {@code id} (sent twice, it is carried out once and answered each time) and an {@code actor}.
 * The owner answers on the job-events topic with an event carrying {@code "command": id}.
 */
public sealed interface Command permits JobCommand, RunCommand, LetterCommand {

    /** The longest actor name kept. */
    int MAX_ACTOR = 200;

    UUID id();

    /** Who asks, for the log and the audit. */
    String actor();

    /** The job or run it acts on: the record's key, and what decides its owner (for letters with no job, {@link LetterCommand#NO_JOB}). */
    UUID target();

    /** The command's name on the wire: cancel, suspend, resume, retry, mark-succeeded, replay, park. */
    String verb();

    /** What it asks, for messages: "cancel of job 3f2a…". */
    String describe();

    byte[] toJson();

    /** Whether a record of the jobs topic is a command rather than a job or workflow run request. */
    static boolean isCommand(JsonNode root) {
        return root != null && root.isObject() && root.has("command");
    }

    /** A job command, or, naming a {@code run}, a workflow run command, or, naming {@code letters}, a dead-letter command. */
    static Command parse(JsonNode root) throws InvalidCommandException {
        return root.has("run") ? RunCommand.parse(root) : root.has("letters") ? LetterCommand.parse(root) : JobCommand.parse(root);
    }

    /** The job or run an unreadable command names, for its rejection, or null. */
    static UUID claimedTarget(JsonNode root) {
        try {
            return root.has("letters") && !root.hasNonNull("job") ? null : CommandFields.uuid(root, root.has("run") ? "run" : "job");
        } catch (InvalidCommandException e) {
            return null;
        }
    }

    /** A command that cannot be read; the message says why. */
    final class InvalidCommandException extends Exception {
        public InvalidCommandException(String reason) {
            super(reason);
        }
    }
}
