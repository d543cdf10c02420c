package io.fanout.cli;

import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fanout events}: the job-events topic as it goes by (acceptances, progress, outcomes, rejections, workflow steps). */
@Command(name = "events", mixinStandardHelpOptions = true, description = {
        "Shows job events as they are published: from now on (default), from --since, or from the oldest kept (--from-beginning).",
        "Runs until Ctrl-C; with --job, until each job named has ended; with --no-follow, until the end of the topic as it is now.",
        "With -o json: each event as published, one JSON object per line."})
final class EventsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Mixin
    OutputOptions output;

    @Option(names = "--job", paramLabel = "ID", split = ",", description = "Only the events of this job or workflow run (repeatable); ends once each has ended.")
    List<UUID> jobs = List.of();

    @Option(names = "--type", paramLabel = "TYPE", split = ",", description = "Only events of these types: ${COMPLETION-CANDIDATES}.")
    List<JobEvent.Type> types = List.of();

    @Option(names = "--from-beginning", description = "Start at the oldest event the topic keeps (7 days by default).")
    boolean fromBeginning;

    @Option(names = "--since", paramLabel = "TIME", converter = PointInTime.class,
            description = "Start at the events published at or after this: a time, a day (2026-12-01) or how long ago (PT2H, 30m, 2h, 7d).")
    Instant since;

    @Option(names = "--follow", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Wait for new events (default); --no-follow stops at the end of the topic as it is when the command starts.")
    boolean follow;

    @Override
    public Integer call() {
        if (fromBeginning && since != null) {
            throw new ParameterException(spec.commandLine(), "give --from-beginning or --since, not both");
        }
        Map<String, Object> props = kafka.forCommand();
        props.put("enable.auto.commit", false);
        props.remove("group.id");
        props.putIfAbsent("client.id", "fanout-events");
        Set<UUID> open = new HashSet<>(jobs);
        Set<JobEvent.Type> wanted = types.isEmpty() ? Set.of(JobEvent.Type.values()) : Set.copyOf(types);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<TopicPartition, Long> ends = start(consumer);
            System.err.printf("events of %s from %s%s%n", kafka.topics().jobEvents(), fromBeginning ? "the oldest kept" : since != null ? since : "now on",
                    !follow ? " to the end of the topic" : !jobs.isEmpty() ? " until " + (jobs.size() == 1 ? "the job ends" : "the jobs end") : " (Ctrl-C stops)");
            while (follow || !ends.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JobEvent e = read(r);
                    if (e == null || !jobs.isEmpty() && !jobs.contains(e.jobId())) {
                        continue;
                    }
                    if (wanted.contains(e.type())) {
                        System.out.println(output.json() ? new String(r.value(), StandardCharsets.UTF_8) : line(e));
                    }
                    if (e.isFinal() && open.remove(e.jobId()) && open.isEmpty()) {
                        return ExitCodes.OK; // every job named has ended, whether its final event was shown or not
                    }
                }
                System.out.flush();
                ends.entrySet().removeIf(end -> consumer.position(end.getKey()) >= end.getValue());
            }
        }
        return ExitCodes.OK;
    }

    /** Assigns every partition of the topic at the start point asked for; returns where the topic ends now (for --no-follow). */
    private Map<TopicPartition, Long> start(KafkaConsumer<byte[], byte[]> consumer) {
        String topic = kafka.topics().jobEvents();
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist: provision the topics first (fanout topics apply)");
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else if (since != null) {
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(partitions.stream()
                    .collect(Collectors.toMap(p -> p, p -> since.toEpochMilli())));
            partitions.forEach(p -> consumer.seek(p, found.get(p) == null ? ends.get(p) : found.get(p).offset()));
        } else {
            ends.forEach(consumer::seek);
        }
        partitions.forEach(consumer::position); // the start point is fixed now, before anything new is published
        return ends;
    }

    private static JobEvent read(ConsumerRecord<byte[], byte[]> r) {
        try {
            return Json.mapper().readValue(r.value(), JobEvent.class);
        } catch (IOException | RuntimeException e) {
            System.err.printf("fanout: skipping an unreadable job event at %s-%d@%d%n", r.topic(), r.partition(), r.offset());
            return null;
        }
    }

    /** One event on one line: time, type, job, and what the event says. */
    static String line(JobEvent e) {
        Set<String> parts = new LinkedHashSet<>();
        if (e.workflow() != null) {
            JobEvent.Workflow w = e.workflow();
            parts.add("workflow " + w.name() + " v" + w.version() + (w.node() == null ? "" : " node " + w.node())
                    + (w.nodeState() == null ? "" : " " + w.nodeState()) + (w.nodeJob() == null ? "" : " job " + w.nodeJob()));
        }
        if (e.processor() != null) {
            parts.add(e.processor());
        }
        if (e.state() != null && !e.state().name().equals(e.type().name()) && e.workflow() == null) {
            parts.add(e.state().name());
        }
        if (e.tasks() != null) {
            parts.add(String.format("%,d/%,d tasks", e.tasks().done(), e.tasks().total()) + (e.tasks().failed() > 0 ? String.format(" (%,d failed)", e.tasks().failed()) : ""));
        }
        if (e.key() != null) {
            parts.add("key " + e.key());
        }
        if (e.result() != null) {
            String result = e.result().toString();
            parts.add("result " + (result.length() <= 80 ? result : result.substring(0, 77) + "..."));
        }
        if (e.error() != null) {
            parts.add("error " + e.error());
        }
        if (e.reason() != null) {
            parts.add("reason " + e.reason());
        }
        return String.format("%-24s  %-13s  %s  %s", e.time() == null ? "-" : e.time(), e.type(), e.jobId(), String.join("  ", parts));
    }
}
