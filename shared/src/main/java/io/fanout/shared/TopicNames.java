package io.fanout.shared;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The names of Fanout's topics, all derived from one prefix so that several Fanout installations
 * (or tests) can share a Kafka cluster.
 */
public record TopicNames(String prefix) {

    public static final String DEFAULT_PREFIX = "fanout.";
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]*");

    public TopicNames {
        Objects.requireNonNull(prefix, "prefix");
        if (!LEGAL.matcher(prefix).matches()) {
            throw new IllegalArgumentException("topic prefix '" + prefix + "' may only contain letters, digits, '.', '_' and '-'");
        }
    }

    public static TopicNames defaults() {
        return new TopicNames(DEFAULT_PREFIX);
    }

    /** Job requests, JSON, produced by any client. */
    public String jobs() {
        return prefix + "jobs";
    }

    /** Task records of the default pool, binary, consumed by its executor group. */
    public String tasks() {
        return prefix + "tasks";
    }

    /** Task records of a pool: {@link #tasks()} for the default pool, {@code tasks.<pool>} for the others. */
    public String tasks(String pool) {
        return Pools.DEFAULT.equals(pool) ? tasks() : prefix + "tasks." + Pools.check(pool);
    }

    /** The pool whose task topic this is, or null if it is not a task topic of this prefix. */
    public String poolOfTaskTopic(String topic) {
        if (topic.equals(tasks())) {
            return Pools.DEFAULT;
        }
        String p = prefix + "tasks.";
        return topic.startsWith(p) && Pools.NAME.matcher(topic.substring(p.length())).matches() ? topic.substring(p.length()) : null;
    }

    /** Status events and map requests from executors, binary, consumed by coordinators. */
    public String status() {
        return prefix + "status";
    }

    /** Job outcomes and progress, JSON, for any consumer. */
    public String jobEvents() {
        return prefix + "job-events";
    }

    /** Subtask results streamed to the executor that runs a job's reduce. */
    public String reduceInputs() {
        return prefix + "reduce-inputs";
    }

    /** Tasks that failed for good or could not be read. */
    public String deadLetters() {
        return prefix + "dead-letters";
    }

    /** Orders for every executor (cancel a job's tasks), JSON; each executor reads all of it. */
    public String control() {
        return prefix + "control";
    }

    /** The latest heartbeat of every executor (JSON, compacted, keyed by executor id). */
    public String executors() {
        return prefix + "executors";
    }

    /** Dead letters that used up their replays (or were parked by hand): kept, never replayed automatically. */
    public String parkedLetters() {
        return prefix + "dead-letters.parked";
    }
}
