package io.fanout.cli;

import io.fanout.console.ExecutorsView;
import io.fanout.executor.ExecutorConfig;
import io.fanout.topics.ExecutorRegistry;
import io.fanout.topics.PoolStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "executors", mixinStandardHelpOptions = true,
        description = "Lists each executor pool: its live executors (from their heartbeats), its consumer group's members, and its lag "
                + "(tasks waiting) per partition.")
final class ExecutorsCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    OutputOptions output;

    @Option(names = "--group-id", defaultValue = "${env:FANOUT_EXECUTOR_GROUP:-" + ExecutorConfig.DEFAULT_GROUP_ID + "}",
            description = "Base consumer group of the executors (default ${DEFAULT-VALUE}; pools use <base>.<pool>).")
    String groupId;

    @Override
    public Integer call() {
        Map<String, Object> props = kafka.forCommand();
        try (Admin admin = Admin.create(props)) {
            if (output.json()) {
                ExecutorsView view = ExecutorsView.read(admin, props, kafka.topics(), groupId); // as GET /api/v1/executors
                output.print(view);
                return view.pools().isEmpty() ? ExitCodes.NOT_SUCCESSFUL : ExitCodes.OK;
            }
            List<PoolStatus> pools = PoolStatus.readAll(admin, kafka.topics(), groupId);
            if (pools.isEmpty()) {
                System.out.println("no task topics under prefix '" + kafka.topics().prefix() + "': run fanout topics apply");
                return ExitCodes.NOT_SUCCESSFUL;
            }
            Instant now = Instant.now();
            ExecutorRegistry registry = ExecutorRegistry.read(props, kafka.topics(), now);
            pools.forEach(p -> System.out.print(p.render() + registry.render(p.pool(), now)));
        }
        return ExitCodes.OK;
    }
}
