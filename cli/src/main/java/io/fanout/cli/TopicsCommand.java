package io.fanout.cli;

import io.fanout.shared.Pools;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true, description = "Provisions and scales Fanout's topics.",
        subcommands = {TopicsCommand.Apply.class, TopicsCommand.Scale.class})
final class TopicsCommand {

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Creates missing topics and verifies existing ones (idempotent; never alters a topic).")
    static final class Apply implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--coordinator-partitions", defaultValue = "" + TopicLayout.DEFAULT_COORDINATOR_PARTITIONS,
                description = "Partitions of the jobs, status, job-events and reduce-inputs topics (default ${DEFAULT-VALUE}).")
        int coordinatorPartitions;

        @Option(names = "--task-partitions", defaultValue = "" + TopicLayout.DEFAULT_TASK_PARTITIONS,
                description = "Partitions of the default pool's tasks topic: the most executors that get work (default ${DEFAULT-VALUE}).")
        int taskPartitions;

        @Option(names = "--pool", paramLabel = "NAME=PARTITIONS", description = "Another executor pool and its task topic's partition count.")
        Map<String, Integer> pools = new LinkedHashMap<>();

        @Override
        public Integer call() {
            TopicLayout layout = new TopicLayout(kafka.topics(), coordinatorPartitions, taskPartitions, pools);
            try (Admin admin = Admin.create(kafka.kafka())) {
                List<String> created = new TopicProvisioner(admin).apply(layout);
                System.out.println(created.isEmpty() ? "all topics exist and match: " + TopicProvisioner.describe(layout)
                        : "created " + String.join(", ", created) + "; layout: " + TopicProvisioner.describe(layout));
            }
            return 0;
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = "Raises a pool's task partition count, live (partitions cap the executors that get work; they cannot be removed).")
    static final class Scale implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--pool", defaultValue = Pools.DEFAULT, description = "The pool whose task topic to scale (default ${DEFAULT-VALUE}).")
        String pool;

        @Option(names = "--partitions", required = true, description = "The tasks topic's new partition count.")
        int partitions;

        @Override
        public Integer call() {
            try (Admin admin = Admin.create(kafka.kafka())) {
                String topic = kafka.topics().tasks(pool);
                int now = new TopicProvisioner(admin).ensurePartitions(topic, partitions);
                System.out.println(topic + " has " + now + " partitions");
            }
            return 0;
        }
    }
}
