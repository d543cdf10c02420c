package io.fanout.cli;

import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.util.List;
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
                description = "Partitions of the tasks topic: the most executors that get work (default ${DEFAULT-VALUE}).")
        int taskPartitions;

        @Override
        public Integer call() {
            TopicLayout layout = new TopicLayout(kafka.topics(), coordinatorPartitions, taskPartitions);
            try (Admin admin = Admin.create(kafka.kafka())) {
                List<String> created = new TopicProvisioner(admin).apply(layout);
                System.out.println(created.isEmpty() ? "all topics exist and match: " + TopicProvisioner.describe(layout)
                        : "created " + String.join(", ", created) + "; layout: " + TopicProvisioner.describe(layout));
            }
            return 0;
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = "Raises the tasks topic's partition count, live (partitions cap the executors that get work; they cannot be removed).")
    static final class Scale implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--partitions", required = true, description = "The tasks topic's new partition count.")
        int partitions;

        @Override
        public Integer call() {
            try (Admin admin = Admin.create(kafka.kafka())) {
                int now = new TopicProvisioner(admin).ensurePartitions(kafka.topics().tasks(), partitions);
                System.out.println(kafka.topics().tasks() + " has " + now + " partitions");
            }
            return 0;
        }
    }
}
