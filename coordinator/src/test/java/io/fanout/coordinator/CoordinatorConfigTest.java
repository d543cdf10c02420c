package io.fanout.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CoordinatorConfigTest {

    @Test
    void aBadSettingFailsFastNamingIt() {
        assertEquals("coordinator setting 'bootstrap.servers' is missing: the Kafka cluster to use",
                assertThrows(IllegalArgumentException.class, () -> CoordinatorConfig.builder().database("jdbc:postgresql://x/y", "u", null).build())
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> CoordinatorConfig.builder().bootstrapServers("k:9092").database("jdbc:mysql://x/y", "u", null).build())
                .getMessage().startsWith("coordinator setting 'jdbc-url' must be a jdbc:postgresql: URL"));
    }

    @Test
    void secretsAreMaskedWhenTheConfigurationIsLogged() {
        String logged = CoordinatorConfig.builder()
                .kafka(Map.of("bootstrap.servers", "k:9092", "sasl.jaas.config", "PlainLoginModule password=\"hunter2\"", "ssl.key.password", "s3cret"))
                .database("jdbc:postgresql://db/fanout", "fanout", "pg-secret")
                .build().toString();
        assertFalse(logged.contains("hunter2"), logged);
        assertFalse(logged.contains("s3cret"), logged);
        assertFalse(logged.contains("pg-secret"), logged);
        assertTrue(logged.contains("bootstrap.servers=k:9092"), logged);
    }
}
