package io.fanout.coordinator.deadletter;

import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A record a letter's owner sends once the letter's new state has committed (owed in the outbox
 * until the brokers have it): a parked letter on the parking topic, or a replayed unreadable
 * record back where it came from.
 */
public record LetterSend(long letterId, int ownerPartition, ProducerRecord<byte[], byte[]> record) {
}
