package io.fanout.coordinator.control;

import io.fanout.coordinator.deadletter.LetterSend;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.model.JobEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the commands of one batch owe Kafka once its transaction has committed: the answers, the
 * executors' orders, the tasks a resume released, the jobs and runs a cancel ended (their final
 * events and cancel orders are owed in the outbox by the caller), the records replayed and parked
 * dead letters owe, and the commands to forward.
 */
public final class CommandEffects {

    /** A command record to produce again to the partition of the jobs topic that owns what it names. */
    public record Forward(int partition, ConsumerRecord<byte[], byte[]> record) {
    }

    public final List<JobEvent> answers = new ArrayList<>();
    public final List<UUID> cancelOrders = new ArrayList<>();
    public final List<UUID> suspendOrders = new ArrayList<>();
    public final List<UUID> resumeOrders = new ArrayList<>();
    public final List<TaskDispatch> released = new ArrayList<>();
    public final List<JobRow> endedJobs = new ArrayList<>();
    public final List<WorkflowRuns.EndedRun> endedRuns = new ArrayList<>();
    public final List<Forward> forwards = new ArrayList<>();
    /** Records that replayed or parked letters owe (the outbox keeps them owed until sent). */
    public final List<LetterSend> letterSends = new ArrayList<>();
}
