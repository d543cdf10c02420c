package io.fanout.coordinator.dispatch;

import org.apache.kafka.clients.producer.Producer;
import io.fanout.shared.TopicNames;

/** Everything a coordinator sends, over one producer. */
public record Effects(TaskPublisher tasks, JobEventPublisher events, DeadLetterPublisher deadLetters, ControlPublisher control,
                      CommandForwarder commands) {

    public static Effects over(Producer<byte[], byte[]> producer, TopicNames topics) {
        return new Effects(new TaskPublisher(producer, topics), new JobEventPublisher(producer, topics), new DeadLetterPublisher(producer, topics),
                new ControlPublisher(producer, topics), new CommandForwarder(producer, topics));
    }
}
