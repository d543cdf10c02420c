package io.fanout.cli;

import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.Pools;
import io.fanout.topics.RoleAcls;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true, description = "Provisions and scales Fanout's topics.",
        subcommands = {TopicsCommand.Apply.class, TopicsCommand.Scale.class, TopicsCommand.Acls.class})
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
            try (Admin admin = Admin.create(kafka.forCommand())) {
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
            try (Admin admin = Admin.create(kafka.forCommand())) {
                String topic = kafka.topics().tasks(pool);
                int now = new TopicProvisioner(admin).ensurePartitions(topic, partitions);
                System.out.println(topic + " has " + now + " partitions");
            }
            return 0;
        }
    }

    @Command(name = "acls", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The Kafka ACLs each role needs and no more: prints them as kafka-acls.sh commands (--print) or creates the missing ones "
                    + "through the AdminClient (--apply; idempotent, never removes an ACL).",
                    "Client: writes jobs, reads job events. Executor: reads its pools' tasks, the reduce inputs and control orders; writes status, "
                            + "heartbeats and dead letters. Coordinator (also fanout executors): the rest. "
                            + "Console (the API and the web console): writes jobs (requests and commands), reads job events and, read-only, the executors' state.",
                    "Topic and group names come from the same options the processes take (--topic-prefix, --pools, the group ids), so pass "
                            + "the ones your installation uses. --apply runs as an administrator (DESCRIBE and ALTER on the cluster): pass its "
                            + "credentials with --kafka-config."})
    static final class Acls implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Mode mode;

        static final class Mode {
            @Option(names = "--print", required = true, description = "Print the kafka-acls.sh commands, role by role, with why each ACL is needed.")
            boolean print;

            @Option(names = "--apply", required = true, description = "Create the missing ACLs through the AdminClient (applying twice is fine).")
            boolean apply;
        }

        @Option(names = "--coordinator-principal", paramLabel = "PRINCIPAL", defaultValue = "${env:FANOUT_COORDINATOR_PRINCIPAL:-" + RoleAcls.DEFAULT_COORDINATOR_PRINCIPAL + "}",
                description = "The principal coordinators (and fanout executors) authenticate as "
                        + "(env FANOUT_COORDINATOR_PRINCIPAL; default ${DEFAULT-VALUE}).")
        String coordinatorPrincipal;

        @Option(names = "--console-principal", paramLabel = "PRINCIPAL", defaultValue = "${env:FANOUT_CONSOLE_PRINCIPAL:-" + RoleAcls.DEFAULT_CONSOLE_PRINCIPAL + "}",
                description = "The principal the API and console authenticate as: it writes the jobs topic and reads job events, no more "
                        + "(env FANOUT_CONSOLE_PRINCIPAL; default ${DEFAULT-VALUE}).")
        String consolePrincipal;

        @Option(names = "--executor-principal", paramLabel = "PRINCIPAL", defaultValue = "${env:FANOUT_EXECUTOR_PRINCIPAL:-" + RoleAcls.DEFAULT_EXECUTOR_PRINCIPAL + "}",
                description = "The principal executors authenticate as (env FANOUT_EXECUTOR_PRINCIPAL; default ${DEFAULT-VALUE}).")
        String executorPrincipal;

        @Option(names = "--client-principal", paramLabel = "PRINCIPAL", defaultValue = "${env:FANOUT_CLIENT_PRINCIPAL:-" + RoleAcls.DEFAULT_CLIENT_PRINCIPAL + "}",
                description = "The principal clients submit jobs as: fanout submit, FanoutClient, your producers "
                        + "(env FANOUT_CLIENT_PRINCIPAL; default ${DEFAULT-VALUE}; User:* admits every authenticated user).")
        String clientPrincipal;

        @Option(names = "--pools", split = ",", paramLabel = "POOL", defaultValue = "${env:FANOUT_POOLS:-" + Pools.DEFAULT + "}",
                description = "The executor pools, as the coordinators' --pools (default ${DEFAULT-VALUE}; the default pool is always included).")
        List<String> pools;

        @Option(names = "--coordinator-group-id", paramLabel = "GROUP", defaultValue = "${env:FANOUT_COORDINATOR_GROUP:-" + CoordinatorConfig.DEFAULT_GROUP_ID + "}",
                description = "The coordinators' --group-id (env FANOUT_COORDINATOR_GROUP; default ${DEFAULT-VALUE}).")
        String coordinatorGroup;

        @Option(names = "--executor-group-id", paramLabel = "GROUP", defaultValue = "${env:FANOUT_EXECUTOR_GROUP:-" + ExecutorConfig.DEFAULT_GROUP_ID + "}",
                description = "The executors' --group-id (env FANOUT_EXECUTOR_GROUP; default ${DEFAULT-VALUE}; pools use <base>.<pool>).")
        String executorGroup;

        @Option(names = "--task-source", split = ",", paramLabel = "SOURCE", defaultValue = "${env:FANOUT_EXECUTOR_TASK_SOURCE:-group}",
                description = "How the executors take tasks, as their --task-source: group, share, or group,share for both "
                        + "(env FANOUT_EXECUTOR_TASK_SOURCE; default ${DEFAULT-VALUE}).")
        List<String> taskSources;

        @Option(names = "--client-group", paramLabel = "GROUP",
                description = "A consumer group your own applications read job events in (repeatable; FanoutClient and fanout submit need none).")
        List<String> clientGroups = new ArrayList<>();

        @Option(names = "--idempotent-write",
                description = "Also grant IdempotentWrite on the cluster to every role: brokers older than 3.0 require it of idempotent producers.")
        boolean idempotentWrite;

        RoleAcls acls() {
            Set<RoleAcls.TaskSource> sources = new LinkedHashSet<>();
            for (String s : taskSources) {
                ExecutorConfig.TaskSource source = ExecutorConfig.TaskSource.of(s.trim());
                sources.add(RoleAcls.TaskSource.valueOf(source.name().toUpperCase(Locale.ROOT)));
            }
            return RoleAcls.builder(kafka.topics())
                    .coordinatorPrincipal(coordinatorPrincipal)
                    .executorPrincipal(executorPrincipal)
                    .clientPrincipal(clientPrincipal)
                    .consolePrincipal(consolePrincipal)
                    .pools(new LinkedHashSet<>(pools.stream().map(String::trim).toList()))
                    .coordinatorGroup(coordinatorGroup)
                    .executorGroup(executorGroup)
                    .taskSources(sources)
                    .clientGroups(clientGroups)
                    .idempotentWriteOnCluster(idempotentWrite)
                    .build();
        }

        @Override
        public Integer call() {
            RoleAcls acls = acls();
            if (mode.print) {
                String commandConfig = kafka.kafkaConfig != null ? kafka.kafkaConfig.toString() : null;
                if (commandConfig == null && !kafka.extra.isEmpty()) {
                    commandConfig = "admin.properties"; // kafka-acls.sh takes client settings from a file only
                    System.out.println("# admin.properties: a file holding the -X settings given here (" + String.join(", ", kafka.extra.keySet()) + ")");
                }
                System.out.print(acls.kafkaAclsCommands(kafka.bootstrapServers, commandConfig));
                return 0;
            }
            try (Admin admin = Admin.create(kafka.forCommand())) {
                RoleAcls.Applied applied = acls.apply(admin);
                applied.created().forEach(g -> System.out.println("created: " + g.role().label() + " " + g.principal() + " " + g.describe()));
                System.out.println(applied.created().isEmpty() ? "all " + applied.present() + " ACLs are in place"
                        : "created " + applied.created().size() + " ACLs; " + applied.present() + " were in place");
            }
            return 0;
        }
    }
}
