package io.fanout.executor.api;

import java.util.UUID;

/** What a running task knows and can do. */
public interface TaskContext {

    UUID jobId();

    UUID taskId();

    String taskName();

    /** Which attempt this is (0 for the first). */
    int attempt();

    /** True for the job's root task (the one that receives the job's params). */
    boolean isRoot();

    /** The job request's params converted to {@code type} (root task), or null when there were none. */
    <T> T params(Class<T> type);

    /** This subtask's payload: the object given to {@code map}, or a static item converted to {@code type}. */
    <T> T payload(Class<T> type);

    /**
     * Fans out one subtask per item, all named {@code taskName}. When this returns the subtasks are
     * durable (acknowledged by Kafka) and will run; if it throws, they may not have been stored and
     * the task fails. Items are serialized with Kryo and sent in batches, so a very large
     * {@code Iterable} is never held whole. Calling it again with the same items after a crash
     * creates no duplicates: child ids follow from this task, the call's position and the item's.
     * So call it from one thread at a time, in the same order on every run: a call made while
     * another is under way (from a second thread) is refused with an IllegalStateException.
     *
     * @return how many subtasks were created
     * @throws IllegalArgumentException for a reserved task name or an item of an unregistered class
     * @throws IllegalStateException when called from a reduce, or while another call is under way
     */
    long map(Iterable<?> items, String taskName);

    /** The id of the executor running this task. */
    String executorId();

    /**
     * How many times this task's record has been delivered to an executor, this time included. It
     * is 1 with the consumer-group task source; with the share-group source it counts the broker's
     * deliveries (a record whose executor died, or whose lock expired, is delivered again).
     */
    int deliveryCount();
}
