package io.fanout.console;

import io.fanout.shared.TopicNames;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.topics.ExecutorRegistry;
import io.fanout.topics.PoolStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;

/** The executor pools (members, tasks waiting per partition) and the executors (live, silent), as Kafka shows them now. */
public record ExecutorsView(List<PoolStatus> pools, List<ExecutorHeartbeat> live, List<ExecutorHeartbeat> silent) {

    public static ExecutorsView read(Admin admin, Map<String, Object> kafka, TopicNames topics, String executorGroup) {
        ExecutorRegistry registry = ExecutorRegistry.read(kafka, topics, Instant.now());
        return new ExecutorsView(PoolStatus.readAll(admin, topics, executorGroup), registry.live(), registry.silent());
    }
}
