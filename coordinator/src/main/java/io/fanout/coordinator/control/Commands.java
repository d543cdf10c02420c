package io.fanout.coordinator.control;

import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.command.Command;
import io.fanout.shared.command.JobCommand;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.command.RunCommand;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The commands of one batch, carried out one by one in the order read, in the loop's transaction
 * (after the batch's requests and statuses); what they owe Kafka is returned.
 */
public final class Commands {

    /** A command as read from the jobs topic. */
    public record Received(Command command, ConsumerRecord<byte[], byte[]> record) {
    }

    private final JobCommands jobs;
    private final RunCommands runs;
    private final LetterCommands letters;

    public Commands(JobStore jobStore, TaskStore tasks, WaitingTasks waiting, WorkflowStore workflowStore, WorkflowRuns workflows,
                    LetterActions letterActions, Clock clock) {
        this.jobs = new JobCommands(jobStore, tasks, waiting, clock);
        this.runs = new RunCommands(workflowStore, workflows, jobStore, tasks, clock);
        this.letters = new LetterCommands(letterActions, clock);
    }

    /**
     * Carries out the commands in {@code c}'s transaction.
     *
     * @param releaseHeld whether a resume releases the job's held tasks itself (not with a dispatch window, which releases them by priority)
     */
    public CommandEffects apply(Connection c, List<Received> received, boolean releaseHeld) throws SQLException {
        CommandEffects out = new CommandEffects();
        for (Received r : received) { // in the order read: a replay then a cancel of one job is not a cancel then a replay
            switch (r.command()) {
                case JobCommand cmd -> jobs.apply(c, cmd, r.record(), releaseHeld, out);
                case RunCommand cmd -> runs.apply(c, cmd, r.record(), out);
                case LetterCommand cmd -> letters.apply(c, cmd, r.record(), out);
            }
        }
        return out;
    }
}
