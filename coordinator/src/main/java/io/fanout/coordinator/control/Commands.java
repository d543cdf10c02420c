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
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The commands of one batch, carried out by kind (jobs, then workflow runs, then dead letters) in
 * the loop's transaction, each kind in the order read; what they owe Kafka is returned.
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
        List<JobCommands.Received> forJobs = new ArrayList<>();
        List<RunCommands.Received> forRuns = new ArrayList<>();
        List<LetterCommands.Received> forLetters = new ArrayList<>();
        for (Received r : received) {
            switch (r.command()) {
                case JobCommand cmd -> forJobs.add(new JobCommands.Received(cmd, r.record()));
                case RunCommand cmd -> forRuns.add(new RunCommands.Received(cmd, r.record()));
                case LetterCommand cmd -> forLetters.add(new LetterCommands.Received(cmd, r.record()));
            }
        }
        CommandEffects out = jobs.apply(c, forJobs, releaseHeld);
        runs.apply(c, forRuns, out);
        letters.apply(c, forLetters, out);
        return out;
    }
}
