package io.fanout.executor.api;

/**
 * The results of a job's subtasks, read as a stream from Kafka: iterate once; results are not held
 * in memory together. Order is unspecified. A subtask that returned null contributes null.
 */
public interface TaskResults extends Iterable<Object> {

    /** How many results the iteration yields. */
    long count();
}
