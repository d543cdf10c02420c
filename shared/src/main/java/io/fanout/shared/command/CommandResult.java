package io.fanout.shared.command;

/**
 * How an operator's action ended: {@code done}, or refused (the target's state does not allow it,
 * or, with {@code found} false, there is no such target). {@code message} says what was done or why not.
 */
public record CommandResult(boolean done, boolean found, String message) {

    public static CommandResult done(String message) {
        return new CommandResult(true, true, message);
    }

    public static CommandResult refused(String message) {
        return new CommandResult(false, true, message);
    }

    public static CommandResult notFound(String message) {
        return new CommandResult(false, false, message);
    }
}
