package io.fanout.cli;

import io.fanout.examples.Examples;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.Processor;
import io.fanout.shared.Pools;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "executor", mixinStandardHelpOptions = true, description = {
        "Runs an executor until stopped. On SIGTERM it takes no new work, lets running tasks finish (up to --shutdown-grace),",
        "hands back the rest, commits and leaves the group."})
final class ExecutorCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Option(names = "--processor", paramLabel = "NAME=CLASS",
            description = "A processor to run: its name and a class with a no-argument constructor (repeatable). Required, unless --examples.")
    Map<String, String> processors = new LinkedHashMap<>();

    @Option(names = "--examples", description = "Run the bundled example processors (primes, greet, noop), as the demo and compose.yaml do.")
    boolean examples;

    @Option(names = "--concurrency", defaultValue = "${env:FANOUT_EXECUTOR_CONCURRENCY:-" + ExecutorConfig.DEFAULT_CONCURRENCY + "}",
            description = "Tasks run at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--pool", defaultValue = "${env:FANOUT_EXECUTOR_POOL:-" + Pools.DEFAULT + "}",
            description = "The executor pool to join: this executor runs the tasks of jobs sent to it (default ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--group-id", defaultValue = "${env:FANOUT_EXECUTOR_GROUP:-" + ExecutorConfig.DEFAULT_GROUP_ID + "}",
            description = "Base consumer group (default ${DEFAULT-VALUE}): the default pool's group; other pools use <base>.<pool>.")
    String groupId;

    @Option(names = "--task-source", defaultValue = "${env:FANOUT_EXECUTOR_TASK_SOURCE:-group}",
            description = "How tasks are taken from Kafka: 'group' (a consumer group: one member per partition, offsets committed; the default) "
                    + "or 'share' (a share group: any number of members per partition, each record acknowledged on its own).")
    String taskSource;

    @Option(names = "--executor-id", description = "This executor's id (default: pid@host plus a random suffix).")
    String executorId;

    @Option(names = "--heartbeat-interval", defaultValue = "PT5S",
            description = "How often held tasks are reported alive; keep it well below the coordinators' --task-lost-after (default ${DEFAULT-VALUE}).")
    Duration heartbeatInterval;

    @Option(names = "--shutdown-grace", defaultValue = "PT30S", description = "How long a stop waits for running tasks (default ${DEFAULT-VALUE}).")
    Duration shutdownGrace;

    @Mixin
    MetricsOptions metrics;

    @Override
    public Integer call() throws Exception {
        if (processors.isEmpty() && !examples) {
            throw new ParameterException(spec.commandLine(), "name the processors this executor runs: --processor NAME=CLASS (repeatable), "
                    + "or --examples for the bundled examples");
        }
        Map<String, Processor> run = new LinkedHashMap<>(examples ? Examples.all() : Map.of());
        run.putAll(load(processors));
        MeterRegistry meters = metrics.start();
        ExecutorConfig config = ExecutorConfig.builder()
                .kafka(kafka.kafka())
                .topics(kafka.topics())
                .pool(pool)
                .groupId(groupId)
                .executorId(executorId)
                .processors(run)
                .concurrency(concurrency)
                .shutdownGrace(shutdownGrace)
                .heartbeatInterval(heartbeatInterval)
                .meterRegistry(meters)
                .health(metrics.health())
                .taskSource(ExecutorConfig.TaskSource.of(taskSource))
                .build();
        FanoutExecutor executor = FanoutExecutor.start(config);
        CoordinatorCommand.runUntilStopped(executor, metrics);
        return 0;
    }

    static Map<String, Processor> load(Map<String, String> classes) {
        Map<String, Processor> loaded = new LinkedHashMap<>();
        classes.forEach((name, cls) -> {
            try {
                Object p = Class.forName(cls).getDeclaredConstructor().newInstance();
                if (!(p instanceof Processor processor)) {
                    throw new IllegalArgumentException("--processor " + name + "=" + cls + ": " + cls + " does not implement " + Processor.class.getName());
                }
                loaded.put(name, processor);
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("--processor " + name + "=" + cls + ": cannot create it (" + e + ")", e);
            }
        });
        return loaded;
    }
}
