package io.fanout.cli;

import io.fanout.coordinator.store.Database;
import io.fanout.shared.KafkaClientSettings;
import io.fanout.shared.TopicNames;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Mixin;

/** An installation's Kafka and PostgreSQL, for commands that act on its state (dead letters, job control). */
final class InstallationOptions {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    /** What a command does with the installation. */
    interface Use<T> {
        T run(DataSource db, Producer<byte[], byte[]> producer, TopicNames topics) throws Exception;
    }

    /** Connects to both for the length of {@code use}. */
    <T> T with(String clientId, Use<T> use) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 2);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaClientSettings.reliableProducer(kafka.forCommand(), clientId),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            return use.run(database.dataSource(), producer, kafka.topics());
        }
    }
}
