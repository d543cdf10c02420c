package io.fanout.coordinator.dispatch;

import org.apache.kafka.clients.producer.Producer;
import io.fanout.shared.TopicNames;

/** Everything a coordinator sends, over one producer. */
public record Effects(TaskPublisher tasks, JobEventPublisher events, DeadLetterPublisher deadLetters, ControlPublisher control,
                      CommandForwarder commands) {

    /** @param sliceSize the most tasks one task record carries (see {@link TaskSlices}) */
    public static Effects over(Producer<byte[], byte[]> producer, TopicNames topics, int sliceSize) {
        return new Effects(new TaskPublisher(producer, topics, sliceSize), new JobEventPublisher(producer, topics), new DeadLetterPublisher(producer, topics),
                new ControlPublisher(producer, topics), new CommandForwarder(producer, topics));
    }
}
