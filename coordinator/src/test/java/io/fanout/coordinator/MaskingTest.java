package io.fanout.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** Issue 22, Low: the coordinator logs its settings once at start, and a JDBC URL may carry the database password. */
class MaskingTest {

    @Test
    void aJdbcUrlIsLoggedWithoutItsPassword() {
        assertEquals("jdbc:postgresql://db:5432/fanout?user=fanout&password=****&ssl=true",
                Masking.jdbcUrl("jdbc:postgresql://db:5432/fanout?user=fanout&password=s3cret&ssl=true"));
        assertEquals("jdbc:postgresql://fanout:****@db/fanout", Masking.jdbcUrl("jdbc:postgresql://fanout:s3cret@db/fanout"));
        assertEquals("jdbc:postgresql://db/fanout", Masking.jdbcUrl("jdbc:postgresql://db/fanout"));
    }

    @Test
    void theLoggedConfigurationHoldsNoPassword() {
        String logged = CoordinatorConfig.builder().bootstrapServers("k:9092").database("jdbc:postgresql://db/fanout?password=s3cret", "u", null).build().toString();
        assertFalse(logged.contains("s3cret"), logged);
    }
}
