package io.fanout.coordinator.loop;

import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskStore;
import io.micrometer.core.instrument.Counter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Applies the parts of a large batch at once, each on a connection of its own (one PostgreSQL
 * backend applies one transaction at a time, so a single connection caps the coordinator at one
 * core of the database). Each part is a transaction that also records in the outbox what it owes
 * Kafka and checks, last, that this coordinator still owns its partitions: a part is fenced like
 * any other write.
 */
final class ParallelParts implements BatchProcessor.Parts, AutoCloseable {

    private final List<LoopConnection> connections = new ArrayList<>();
    private final ExecutorService threads;
    private final Outbox outbox;
    private final PartitionOwnership ownership;
    private final Counter applied;

    ParallelParts(Database db, TaskStore tasks, Outbox outbox, PartitionOwnership ownership, int width, Counter applied) {
        for (int i = 0; i < width; i++) {
            connections.add(new LoopConnection(db, tasks));
        }
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(width, r -> {
            Thread t = new Thread(r, "fanout-apply-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.outbox = outbox;
        this.ownership = ownership;
        this.applied = applied;
    }

    @Override
    public int width() {
        return connections.size();
    }

    /** Waits for every part, even after one has failed, so that no part is still running when the batch is applied again. */
    @Override
    public List<AfterCommit> applyAll(List<BatchProcessor.Part> parts) throws Exception {
        if (parts.size() > connections.size()) {
            throw new IllegalArgumentException(parts.size() + " parts for " + connections.size() + " connections");
        }
        List<Future<AfterCommit>> running = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            BatchProcessor.Part part = parts.get(i);
            LoopConnection tx = connections.get(i);
            running.add(threads.submit(() -> tx.inTransaction(c -> {
                AfterCommit a = part.apply(c);
                a.outboxIds = outbox.record(c, a.owed());
                ownership.check(c, ownership.owned());
                return a;
            })));
        }
        List<AfterCommit> committed = new ArrayList<>();
        Exception failure = null;
        for (Future<AfterCommit> f : running) {
            try {
                committed.add(f.get());
            } catch (ExecutionException e) {
                Exception cause = e.getCause() instanceof Exception x ? x : new IllegalStateException(e.getCause());
                if (failure == null || cause instanceof PartitionOwnership.LostException) {
                    failure = cause; // fencing wins: the loop gives the partitions up rather than retrying
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        this.applied.increment(parts.size());
        return committed;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        connections.forEach(LoopConnection::close);
    }
}
