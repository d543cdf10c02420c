package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.TaskIds;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ExecutorConcurrencyIT {

    /** Each task blocks until the test releases its item; records how many run at once. */
    static final class Gate implements Processor {
        final Map<Long, CountDownLatch> release = new ConcurrentHashMap<>();
        final Set<Long> running = ConcurrentHashMap.newKeySet();
        final AtomicInteger maxRunning = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) throws InterruptedException {
            long item = ctx.payload(Long.class);
            running.add(item);
            maxRunning.accumulateAndGet(running.size(), Math::max);
            try {
                if (!latch(item).await(2, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("item " + item + " was never released");
                }
                return item;
            } finally {
                running.remove(item);
            }
        }

        CountDownLatch latch(long item) {
            return release.computeIfAbsent(item, i -> new CountDownLatch(1));
        }
    }

    @Test
    void runsConcurrencyTasksAtOnceAndCommitsNoOffsetPastAnUnfinishedTask() throws Exception {
        Gate gate = new Gate();
        // a record per task (slice size 1): one partition, static items dispatched in order, item i sits at offset i
        try (FanoutCluster cluster = new FanoutCluster(1, b -> b.sliceSize(1)); Admin admin = cluster.admin()) {
            cluster.startExecutor(Map.of("gate", gate), b -> b.concurrency(3));
            int n = 10;
            UUID job = cluster.client().submit(JobRequests.builder("gate").items(LongStream.range(0, n).boxed().toList(), "gated").build());
            // one partition, static items dispatched in order: item i sits at offset i
            await().atMost(Duration.ofSeconds(30)).until(() -> gate.running.size() == 3);
            assertEquals(3, gate.maxRunning.get());

            long highest = gate.running.stream().max(Long::compare).orElseThrow();
            gate.latch(highest).countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(),
                    "SELECT state FROM fanout_task WHERE job_id = ? AND task_id = ?", job, TaskIds.child(job, 0, highest))));
            long lowestUnfinished = LongStream.range(0, n).filter(i -> i != highest).min().orElseThrow();
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> committed(admin, cluster) <= lowestUnfinished);
            assertEquals(3, gate.maxRunning.get(), "never more than 'concurrency' tasks at once");

            LongStream.range(0, n).forEach(i -> gate.latch(i).countDown());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertTrue(gate.maxRunning.get() <= 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> committed(admin, cluster) == n);
        }
    }

    /** The executor group's committed offset on the single task partition (-1 if none yet). */
    private static long committed(Admin admin, FanoutCluster cluster) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(cluster.executorGroup())
                .partitionsToOffsetAndMetadata().get();
        OffsetAndMetadata om = offsets.get(new TopicPartition(cluster.topics.tasks(), 0));
        return om == null ? -1 : om.offset();
    }
}
