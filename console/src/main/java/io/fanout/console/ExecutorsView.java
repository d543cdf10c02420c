package io.fanout.console;

import io.fanout.shared.TopicNames;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.topics.ExecutorRegistry;
import io.fanout.topics.PoolStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;

/** The executor pools (members, tasks waiting per partition) and the executors (live, silent), as Kafka shows them now. */
public record ExecutorsView(List<PoolStatus> pools, List<ExecutorHeartbeat> live, List<ExecutorHeartbeat> silent) {

    /** How long one reading is shown again: the page and the API cannot make the server open a Kafka consumer per request. */
    static final Duration FRESH_FOR = Duration.ofSeconds(2);

    public static ExecutorsView read(Admin admin, Map<String, Object> kafka, TopicNames topics, String executorGroup) {
        ExecutorRegistry registry = ExecutorRegistry.read(kafka, topics, Instant.now());
        return new ExecutorsView(PoolStatus.readAll(admin, topics, executorGroup), registry.live(), registry.silent());
    }

    /** Readings at most one per {@link #FRESH_FOR}, however many requests ask; concurrent requests wait for the one reading. */
    public static Supplier<ExecutorsView> cached(Supplier<ExecutorsView> reader) {
        return new Supplier<>() {
            private ExecutorsView last;
            private long readAt;

            @Override
            public synchronized ExecutorsView get() {
                if (last == null || System.nanoTime() - readAt > FRESH_FOR.toNanos()) {
                    last = reader.get();
                    readAt = System.nanoTime();
                }
                return last;
            }
        };
    }
}
