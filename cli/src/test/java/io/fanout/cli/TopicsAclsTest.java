package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.SecurityUtils;
import org.apache.kafka.security.authorizer.AclEntry;
import org.junit.jupiter.api.Test;

/** {@code fanout topics acls --print}: the kafka-acls.sh commands of each role, names derived from the options. */
class TopicsAclsTest {

    private static String print(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 3];
            all[0] = "topics";
            all[1] = "acls";
            all[2] = "--print";
            System.arraycopy(args, 0, all, 3, args.length);
            assertEquals(0, FanoutCli.run(all));
        } finally {
            System.setOut(out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static List<String> commands(String output) {
        return output.lines().filter(l -> l.startsWith("kafka-acls.sh")).toList();
    }

    @Test
    void defaultsGiveEachRoleItsTopicsAndGroups() {
        String out = print("--bootstrap-servers", "kafka:9093");
        String base = "kafka-acls.sh --bootstrap-server kafka:9093 --add --allow-principal ";
        assertEquals(List.of(
                base + "User:fanout-coordinator --operation Read --group fanout-coordinators --group fanout-coordinators.dead-letter-index",
                base + "User:fanout-coordinator --operation Read --topic fanout.jobs --topic fanout.status --topic fanout.dead-letters --topic fanout.job-events"
                        + " --topic fanout.executors",
                base + "User:fanout-coordinator --operation Write --topic fanout.tasks --topic fanout.job-events --topic fanout.reduce-inputs"
                        + " --topic fanout.control --topic fanout.dead-letters --topic fanout.dead-letters.parked --topic fanout.jobs --topic fanout.status",
                base + "User:fanout-coordinator --operation Describe --group fanout-executors",
                base + "User:fanout-executor --operation Read --topic fanout.tasks --topic fanout.reduce-inputs --topic fanout.control",
                base + "User:fanout-executor --operation Read --group fanout-executors",
                base + "User:fanout-executor --operation Write --topic fanout.status --topic fanout.executors --topic fanout.dead-letters",
                base + "User:fanout-client --operation Write --topic fanout.jobs",
                base + "User:fanout-client --operation Read --topic fanout.job-events",
                base + "User:fanout-console --operation Write --topic fanout.jobs",
                base + "User:fanout-console --operation Read --topic fanout.job-events --topic fanout.executors",
                base + "User:fanout-console --operation Describe --topic fanout.tasks",
                base + "User:fanout-console --operation Describe --group fanout-executors"), commands(out));
        assertTrue(out.contains("#   Write topic fanout.jobs: job and workflow run requests"), out);
        assertFalse(out.contains("--cluster"), "no cluster ACL unless asked for: " + out);
    }

    @Test
    void aCustomPrefixGroupsPoolsAndPrincipalsAreUsedEverywhere() {
        String out = print("--bootstrap-servers", "b:1", "--topic-prefix", "acme-", "--pools", "default,gpu", "--coordinator-group-id", "acme-coord",
                "--executor-group-id", "acme-exec", "--task-source", "share", "--coordinator-principal", "User:coord", "--executor-principal", "User:exec",
                "--client-principal", "User:*", "--client-group", "dashboards", "--kafka-config", "/etc/fanout/admin.properties");
        List<String> commands = commands(out);
        assertTrue(commands.stream().allMatch(c -> c.startsWith("kafka-acls.sh --bootstrap-server b:1 --command-config /etc/fanout/admin.properties --add")),
                out);
        assertTrue(commands.contains("kafka-acls.sh --bootstrap-server b:1 --command-config /etc/fanout/admin.properties --add --allow-principal User:exec"
                + " --operation Read --topic acme-tasks --topic acme-tasks.gpu --topic acme-reduce-inputs --topic acme-control"), out);
        assertTrue(out.contains("--allow-principal User:exec --operation Read --group acme-exec.share --group acme-exec.gpu.share"), out);
        assertTrue(out.contains("--allow-principal User:exec --operation DescribeConfigs --group acme-exec.share --group acme-exec.gpu.share"), out);
        assertTrue(out.contains("--allow-principal User:exec --operation AlterConfigs --group acme-exec.share --group acme-exec.gpu.share"), out);
        assertTrue(commands.stream().filter(c -> c.contains("User:exec ") && c.contains("--group") && !c.contains("--operation Describe "))
                .allMatch(c -> c.endsWith(".share")), "share only: the executors read no consumer group: " + out);
        assertTrue(out.contains("--allow-principal User:exec --operation Describe --group acme-exec --group acme-exec.gpu"), "a new share group starts where the pool's consumer group left off: " + out);
        assertTrue(out.contains("--allow-principal User:coord --operation Read --group acme-coord --group acme-coord.dead-letter-index"), out);
        assertTrue(out.contains("--allow-principal User:coord --operation Describe --group acme-exec --group acme-exec.share --group acme-exec.gpu "
                + "--group acme-exec.gpu.share"), "the pool watch describes the share groups too: " + out);
        assertTrue(out.contains("--allow-principal User:coord --operation Write --topic acme-tasks --topic acme-tasks.gpu "), out);
        assertTrue(out.contains("--allow-principal 'User:*' --operation Write --topic acme-jobs"), "quoted for the shell: " + out);
        assertTrue(out.contains("--allow-principal 'User:*' --operation Read --group dashboards"), out);
        assertFalse(out.contains("fanout."), out);
    }

    @Test
    void everyPrintedOperationIsOneKafkaAclsAcceptsForItsResourceType() {
        String out = print("--pools", "default,gpu", "--task-source", "group,share", "--client-group", "g", "--idempotent-write");
        for (String command : commands(out)) {
            List<String> words = List.of(command.split(" "));
            AclOperation op = SecurityUtils.operation(words.get(words.indexOf("--operation") + 1));
            ResourceType type = words.contains("--topic") ? ResourceType.TOPIC : words.contains("--group") ? ResourceType.GROUP : ResourceType.CLUSTER;
            assertTrue(AclEntry.supportedOperations(type).contains(op), command);
            assertEquals(1, words.stream().filter(w -> w.equals("--topic") || w.equals("--group") || w.equals("--cluster")).distinct().count(),
                    "one resource type per command: " + command);
        }
    }

    @Test
    void idempotentWriteOnTheClusterOnlyWhenAskedFor() {
        String out = print("--idempotent-write");
        for (String p : List.of("User:fanout-coordinator", "User:fanout-executor", "User:fanout-client")) {
            assertTrue(out.contains("--allow-principal " + p + " --operation IdempotentWrite --cluster"), out);
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingHappens() {
        assertEquals(2, FanoutCli.run("topics", "acls"), "--print or --apply");
        assertEquals(2, FanoutCli.run("topics", "acls", "--print", "--apply"));
        assertEquals(2, FanoutCli.run("topics", "acls", "--print", "--executor-principal", "fanout-executor"), "no principal type");
        assertEquals(2, FanoutCli.run("topics", "acls", "--print", "--task-source", "queue"));
        assertEquals(2, FanoutCli.run("topics", "acls", "--print", "--pools", "GPU!"));
    }
}
