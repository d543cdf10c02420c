package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.shared.TopicNames;
import io.github.resilience4j.retry.Retry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Partitions changing hands. On getting some, the coordinator claims them in PostgreSQL (a new
 * epoch fences the former owner), starts watching the tasks executors hold in their jobs, and has
 * housekeeping re-drive whatever the former owner left owed. On giving some up, it first waits for
 * the batches in flight, so it hands over only what is applied and sent.
 */
final class Takeover implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(Takeover.class);

    /** Waits for the batches in flight and commits their offsets. */
    interface Drain {
        void drain() throws Exception;
    }

    private final Database db;
    private final PartitionOwnership ownership;
    private final BatchProcessor processor;
    private final Housekeeping housekeeping;
    private final TopicNames topics;
    private final Clock clock;
    private final Drain drain;
    private final Retry claimRetry = DatabaseRetry.create("partition-claim", Integer.MAX_VALUE);

    Takeover(Database db, PartitionOwnership ownership, BatchProcessor processor, Housekeeping housekeeping, TopicNames topics, Clock clock,
             Drain drain) {
        this.db = db;
        this.ownership = ownership;
        this.processor = processor;
        this.housekeeping = housekeeping;
        this.topics = topics;
        this.clock = clock;
        this.drain = drain;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        List<Integer> owned = jobPartitions(partitions);
        if (owned.isEmpty()) {
            return;
        }
        try {
            claimRetry.executeCheckedSupplier(() -> {
                try (Connection c = db.connection()) {
                    ownership.claim(c, owned);
                }
                return null;
            });
        } catch (Throwable e) {
            throw new IllegalStateException("could not claim partitions " + owned + " in PostgreSQL", e);
        }
        log.info("coordinator {} owns job partitions {}", ownership.owner(), owned);
        housekeeping.takenOver(owned);
        try (Connection c = db.connection()) {
            processor.liveness().seed(processor.tasks().held(c, owned), clock.millis());
        } catch (SQLException e) {
            // Tasks not seeded are reported again by their executors' next heartbeat.
            log.error("could not look up the tasks executors hold in partitions {}", owned, e);
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        List<Integer> given = jobPartitions(partitions);
        processor.liveness().forget(given);
        housekeeping.forget(given);
        try {
            drain.drain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.error("records of a batch were not acknowledged before a rebalance; the new owner re-drives what they owe", e);
        }
        ownership.release(given);
    }

    private List<Integer> jobPartitions(Collection<TopicPartition> partitions) {
        return partitions.stream().filter(tp -> tp.topic().equals(topics.jobs())).map(TopicPartition::partition).toList();
    }
}
