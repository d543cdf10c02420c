package io.fanout.topics;

import java.util.Map;
import java.util.Objects;

/** One topic as Fanout wants it: name, partition count and the configs it checks. */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
        }
        configs = Map.copyOf(configs);
    }
}
