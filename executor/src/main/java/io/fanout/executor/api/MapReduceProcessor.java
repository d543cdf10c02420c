package io.fanout.executor.api;

/**
 * A processor whose {@link #reduce} runs once, after every subtask has succeeded, over all their
 * results; its return value is the job's result.
 */
public interface MapReduceProcessor extends Processor {

    Object reduce(TaskContext context, TaskResults results) throws Exception;
}
