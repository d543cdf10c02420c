package io.fanout.executor.runtime;

import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.Processor;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Runs one task on its processor and turns whatever happens (a result, an exception, an error)
 * into the task's terminal status event. The only place where a processor's outcome becomes a
 * status.
 */
final class TaskRunner {

    private final Map<String, Processor> processors;
    private final Map<String, PayloadCodec> codecs = new HashMap<>();
    private final MapSender mapSender;
    private final Map<String, Object> kafka;
    private final TopicNames topics;
    private final String executorId;
    private final String pool;
    private final Clock clock;

    TaskRunner(Map<String, Processor> processors, MapSender mapSender, Map<String, Object> kafka, TopicNames topics, String executorId, String pool,
               Clock clock) {
        this.processors = processors;
        processors.forEach((name, p) -> codecs.put(name, new PayloadCodec(p.payloadTypes())));
        this.mapSender = mapSender;
        this.kafka = kafka;
        this.topics = topics;
        this.executorId = executorId;
        this.pool = pool;
        this.clock = clock;
    }

    /** Runs the task read from {@code partition}@{@code offset} of the pool's task topic, delivered {@code deliveryCount} times. */
    StatusEvent run(TaskRecord task, int partition, long offset, int deliveryCount) {
        Processor processor = processors.get(task.processor());
        if (processor == null) {
            // Retryable: during a rolling deploy another executor of the pool may already have it.
            return StatusEvent.failed(task.taskId(), task.attempt(), clock.millis(), new Failure("UnknownProcessor", "executor " + executorId
                    + " in pool '" + pool + "' has no processor '" + task.processor() + "' (it runs: "
                    + String.join(", ", new TreeSet<>(processors.keySet())) + "): deploy it to the pool's executors", null, true, -1, partition, offset));
        }
        PayloadCodec codec = codecs.get(task.processor());
        boolean reduceRequired = processor instanceof MapReduceProcessor;
        try {
            Object result = invoke(processor, task, codec, deliveryCount);
            boolean jobResult = task.kind() != TaskKind.MAPPED;
            byte[] bytes = jobResult || result == null ? null : codec.encode(result);
            String json = jobResult && result != null ? Json.toText(result) : null;
            return StatusEvent.succeeded(task.taskId(), task.attempt(), clock.millis(), reduceRequired, bytes, json);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StatusEvent.failed(task.taskId(), task.attempt(), clock.millis(), Failures.of(e, task, partition, offset));
        } catch (Throwable t) {
            return StatusEvent.failed(task.taskId(), task.attempt(), clock.millis(), Failures.of(t, task, partition, offset));
        }
    }

    private Object invoke(Processor processor, TaskRecord task, PayloadCodec codec, int deliveryCount) throws Exception {
        RunningTask context = new RunningTask(task, codec, mapSender, executorId, deliveryCount);
        if (task.kind() != TaskKind.REDUCE) {
            return processor.process(context);
        }
        if (!(processor instanceof MapReduceProcessor mr)) {
            throw new IllegalStateException("processor '" + task.processor() + "' got a reduce task but is not a MapReduceProcessor");
        }
        try (KafkaTaskResults results = new KafkaTaskResults(kafka, topics.reduceInputs(), task.reduceInput(), task.jobId(), codec)) {
            return mr.reduce(context, results);
        }
    }
}
