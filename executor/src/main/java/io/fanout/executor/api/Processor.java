package io.fanout.executor.api;

import java.util.List;

/**
 * User code that runs tasks. A basic processor returns its result from the root task. A map
 * processor calls {@link TaskContext#map} from the root task (and from subtasks, to nest) and
 * handles each subtask when {@link TaskContext#isRoot()} is false. Return a value to succeed,
 * throw to fail; the runtime turns either into the task's status.
 */
public interface Processor {

    Object process(TaskContext context) throws Exception;

    /**
     * Classes of the subtask payloads and results this processor writes, registered with Kryo in
     * this order on every executor. Common JDK types (boxed primitives, String, lists, maps,
     * arrays, BigInteger/BigDecimal, UUID, java.time) are always registered.
     */
    default List<Class<?>> payloadTypes() {
        return List.of();
    }
}
