package io.fanout.coordinator.loop;

import io.fanout.coordinator.deadletter.LetterSend;
import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.model.JobEvent;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One transaction of the owner's loop with the Kafka effects it decides: the decision runs in the
 * loop's transaction and says what it owes ({@link Owing}); that is recorded in the outbox, the
 * partitions' fence is checked, the transaction commits, and only then are the records sent. The
 * sends join the batches in flight, whose acknowledgements settle the outbox rows in order; a send
 * that fails, or a crash before it, is re-driven from the outbox by the partition's owner.
 */
final class UnitOfWork {

    /** What one transaction owes Kafka, collected while it decides. */
    static final class Owing {
        private final Effects effects;
        private final Owed owed = new Owed();
        private final List<Supplier<Future<RecordMetadata>>> sends = new ArrayList<>();
        /** Task attempts to send, packed into records (slices) when sent. */
        private final List<TaskDispatch> tasks = new ArrayList<>();

        private Owing(Effects effects) {
            this.effects = effects;
        }

        /** The record of a task's attempt, owed while the task is DISPATCHED. */
        void task(TaskDispatch d) {
            owed.task(d.job().ownerPartition(), d.task().jobId(), d.task().taskId());
            tasks.add(d);
        }

        /** A job's final event, owed until sent. */
        void finalEvent(JobRow job, JobEvent event) {
            owed.finalEvent(job.ownerPartition(), job.jobId());
            sends.add(() -> effects.events().publish(event));
        }

        /** The record a replayed or parked letter owes. */
        void letter(LetterSend send) {
            owed.letterSend(send.ownerPartition(), send.letterId(), send.kind() == LetterSend.Kind.PARK);
            sends.add(() -> effects.deadLetters().send(send.record()));
        }

        /**
         * What a step of the loop's work owes: its tasks, its events (those of ended jobs and runs
         * owed, the others informational), and its dead letters and letter records.
         */
        void add(AfterCommit after) {
            owed.add(after.owed());
            tasks.addAll(after.tasks);
            after.events.forEach(e -> sends.add(() -> effects.events().publish(e)));
            after.deadLetters.forEach(l -> sends.add(() -> effects.deadLetters().publish(l)));
            after.letterSends.forEach(l -> sends.add(() -> effects.deadLetters().send(l.record())));
        }

        /** How many task attempts it sends. */
        int tasks() {
            return tasks.size();
        }
    }

    /** The decision of one transaction: changes through {@code c}, and what they owe Kafka in {@code owing}. */
    @FunctionalInterface
    interface Decision<T> {
        T decide(Connection c, Owing owing) throws Exception;
    }

    private record Committed<T>(T result, Owing owing, List<Long> outboxIds) {
    }

    private final LoopConnection tx;
    private final Outbox outbox;
    private final PartitionOwnership ownership;
    private final InFlightBatches inFlight;
    private final Effects effects;

    UnitOfWork(LoopConnection tx, Outbox outbox, PartitionOwnership ownership, InFlightBatches inFlight, Effects effects) {
        this.tx = tx;
        this.outbox = outbox;
        this.ownership = ownership;
        this.inFlight = inFlight;
        this.effects = effects;
    }

    /** Decides, records what is owed, checks the fence of {@code owned}, commits, then sends. Returns the decision's result. */
    <T> T run(List<Integer> owned, Decision<T> decision) throws Exception {
        Committed<T> done = tx.inTransaction(c -> {
            Owing owing = new Owing(effects);
            T result = decision.decide(c, owing);
            List<Long> ids = outbox.record(c, owing.owed);
            if (ids.isEmpty() && owing.sends.isEmpty() && owing.tasks.isEmpty()) {
                ownership.checkIfWritten(c, owned); // a step that found nothing to do
            } else {
                ownership.check(c, owned);
            }
            return new Committed<>(result, owing, ids);
        });
        List<Future<RecordMetadata>> sends = new ArrayList<>(done.owing().sends.size() + 1);
        try {
            effects.tasks().publish(done.owing().tasks).forEach(s -> sends.add(s.ack()));
            done.owing().sends.forEach(s -> sends.add(s.get()));
        } finally { // what was sent, and the rows, join the batches in flight even if a send threw: the rows are settled in order
            if (!sends.isEmpty() || !done.outboxIds().isEmpty()) {
                inFlight.add(InFlightBatches.Batch.ofSends(sends, done.outboxIds()));
            }
        }
        return done.result();
    }
}
