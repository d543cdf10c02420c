package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.sql.SQLException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ExitCodesTest {

    @Test
    void anExceptionWithoutAMessageIsNamedByItsClass() {
        assertEquals("java.lang.NullPointerException", ExitCodes.describe(new NullPointerException(), null));
        assertEquals("java.lang.InterruptedException", ExitCodes.describe(new IllegalStateException(new InterruptedException()), null),
                "the wrapper's message is its cause's class: said once");
    }

    @Test
    void causesAddWhatTheyKnowOnce() {
        assertEquals("Failed to construct kafka consumer: No resolvable bootstrap urls given in bootstrap.servers (--bootstrap-servers nowhere:9092)",
                ExitCodes.describe(new KafkaException("Failed to construct kafka consumer", new ConfigException("No resolvable bootstrap urls given in bootstrap.servers")),
                        "nowhere:9092"));
        assertEquals("cannot connect: refused", ExitCodes.describe(new IllegalStateException("cannot connect: refused", new SQLException("refused")), null));
    }

    @Test
    void aKafkaTimeoutNamesTheAddressTried() {
        String text = ExitCodes.describe(new IllegalStateException("cannot read pools", new org.apache.kafka.common.errors.TimeoutException("Timed out")),
                "kafka-1:9092");
        assertEquals("Kafka at kafka-1:9092 did not answer in time (cannot read pools: Timed out); check --bootstrap-servers (env FANOUT_BOOTSTRAP_SERVERS)", text);
    }

    @Test
    void badInputIsUsageAndTheRestIsARuntimeError() {
        assertTrue(ExitCodes.isUsage(new IllegalArgumentException("executor setting 'concurrency' must be at least 1")));
        assertTrue(ExitCodes.isUsage(new InvalidJobRequestException("--params is not valid JSON")));
        assertTrue(ExitCodes.isUsage(new KafkaException("Failed to construct kafka producer", new ConfigException("bad value"))));
        assertFalse(ExitCodes.isUsage(new IllegalStateException("cannot connect to PostgreSQL")));
        assertFalse(ExitCodes.isUsage(new org.apache.kafka.common.errors.TimeoutException("metadata")));
    }

    @Test
    void onlyASucceededJobExitsZero() {
        for (JobEvent.Type type : new JobEvent.Type[] {JobEvent.Type.FAILED, JobEvent.Type.CANCELLED, JobEvent.Type.REJECTED}) {
            assertEquals(ExitCodes.NOT_SUCCESSFUL, Outcomes.exitCode(new JobEvent(type, null, null, null, JobState.FAILED, null, null, null, null, null, null)));
        }
        assertEquals(ExitCodes.OK, Outcomes.exitCode(new JobEvent(JobEvent.Type.SUCCEEDED, null, null, null, JobState.SUCCEEDED, null, null, null, null, null, null)));
    }
}
