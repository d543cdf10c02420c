package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 22, Low: a Kafka secret given with -X can come from a file or the environment, so it is not on the command line that ps shows. */
class KafkaOptionsTest {

    @Test
    void aValueIsReadFromAFileOrTheEnvironmentWhenItSaysSo(@TempDir Path dir) throws Exception {
        Path jaas = Files.writeString(dir.resolve("jaas"), "org.apache.kafka.common.security.plain.PlainLoginModule required;\n");
        assertEquals("org.apache.kafka.common.security.plain.PlainLoginModule required;", KafkaOptions.resolve("sasl.jaas.config", "@file:" + jaas));
        assertEquals(System.getenv("PATH"), KafkaOptions.resolve("x", "@env:PATH"));
        assertEquals("SASL_SSL", KafkaOptions.resolve("security.protocol", "SASL_SSL"));
        assertThrows(IllegalArgumentException.class, () -> KafkaOptions.resolve("sasl.jaas.config", "@env:FANOUT_NO_SUCH_VARIABLE_SET"));
    }
}
