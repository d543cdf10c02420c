package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.FanoutExecutor;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.ExecutorRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Executors announce themselves with their processors and load; a stopped one leaves the registry. */
class ExecutorRegistryIT {

    @Test
    void liveExecutorsReportWhatTheyRunAndWhatTheyDidAndAStoppedOneIsRemoved() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            Map<String, Object> kafka = Map.of("bootstrap.servers", cluster.bootstrap);
            cluster.startExecutor(Map.of("greet", ctx -> "hi", "sum", ctx -> 1), b -> b.executorId("reg-a").concurrency(3)
                    .heartbeatInterval(Duration.ofMillis(200)));
            FanoutExecutor second = cluster.startExecutor(Map.of("greet", ctx -> "hi"), b -> b.executorId("reg-b").heartbeatInterval(Duration.ofMillis(200)));
            for (int i = 0; i < 10; i++) {
                UUID job = cluster.client().submit(JobRequests.builder("greet").build());
                cluster.client().await(job, Duration.ofMinutes(1));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<ExecutorHeartbeat> live = ExecutorRegistry.read(kafka, cluster.topics, Instant.now()).live();
                return live.size() == 2 && live.stream().mapToLong(ExecutorHeartbeat::completed).sum() == 10;
            });
            ExecutorHeartbeat a = ExecutorRegistry.read(kafka, cluster.topics, Instant.now()).live().stream()
                    .filter(h -> h.id().equals("reg-a")).findFirst().orElseThrow();
            assertEquals(List.of("greet", "sum"), a.processors());
            assertEquals(3, a.concurrency());
            assertEquals("default", a.pool());

            second.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> ExecutorRegistry.read(kafka, cluster.topics, Instant.now()).live().stream()
                    .map(ExecutorHeartbeat::id).toList().equals(List.of("reg-a")));
        }
    }
}
