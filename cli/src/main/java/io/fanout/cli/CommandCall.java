package io.fanout.cli;

import io.fanout.client.FanoutClient;
import io.fanout.shared.command.Command;
import io.fanout.shared.command.CommandResult;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Sends a command to the coordinator that owns its job or run and prints the answer. Exit codes: 0
 * done, 1 the state does not allow it, 3 not answered in time (still pending), 4 no such job or run.
 */
final class CommandCall {

    private CommandCall() {
    }

    static int send(KafkaOptions kafka, Command command, Duration timeout) throws InterruptedException {
        try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
            CommandResult r = client.command(command, timeout);
            (r.done() ? System.out : System.err).println(r.message());
            return r.done() ? ExitCodes.OK : r.found() ? ExitCodes.NOT_SUCCESSFUL : ExitCodes.NOT_FOUND;
        } catch (TimeoutException e) {
            System.err.println(e.getMessage());
            return ExitCodes.TIMEOUT;
        }
    }
}
