package io.fanout.cli;

import io.fanout.client.FanoutClient;
import io.fanout.console.DeadLetters;
import io.fanout.coordinator.store.Database;
import java.time.Duration;
import picocli.CommandLine.Mixin;

/** An installation's PostgreSQL (to read) and Kafka (to send commands), for the commands on its dead letters. */
final class InstallationOptions {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    /** What a command does with the dead letters. */
    interface Use<T> {
        T run(DeadLetters letters) throws Exception;
    }

    /** Reads the dead letters (no Kafka needed) for the length of {@code use}. */
    <T> T read(Use<T> use) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 2)) {
            return use.run(DeadLetters.reader(database.dataSource()));
        }
    }

    /** Reads the dead letters and sends commands for them, each answer awaited for {@code timeout}, for the length of {@code use}. */
    <T> T command(Duration timeout, Use<T> use) throws Exception {
        try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 2);
             FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
            return use.run(new DeadLetters(database.dataSource(), client, timeout));
        }
    }
}
