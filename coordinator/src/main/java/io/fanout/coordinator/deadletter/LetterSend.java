package io.fanout.coordinator.deadletter;

import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A record a letter's owner sends once the letter's new state has committed (owed in the outbox
 * until the brokers have it): a parked letter on the parking topic, or a replayed unreadable
 * record back where it came from.
 */
public record LetterSend(long letterId, int ownerPartition, Kind kind, ProducerRecord<byte[], byte[]> record) {

    public enum Kind {
        /** The letter's record on the parking topic. */
        PARK,
        /** An unreadable record's bytes, back to the topic and partition they came from. */
        RETURN
    }
}
