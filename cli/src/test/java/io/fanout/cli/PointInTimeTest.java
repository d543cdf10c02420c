package io.fanout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class PointInTimeTest {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private final PointInTime since = new PointInTime(Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void readsTimesDaysAndHowLongAgo() {
        assertEquals(Instant.parse("2026-12-01T10:15:00Z"), since.convert("2026-12-01T10:15:00Z"));
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), since.convert("2026-12-01"));
        assertEquals(NOW.minusSeconds(7200), since.convert("PT2H"));
        assertEquals(NOW.minusSeconds(90), since.convert("90s"));
        assertEquals(NOW.minusSeconds(30 * 60), since.convert("30m"));
        assertEquals(NOW.minusSeconds(2 * 3600), since.convert("2h"));
        assertEquals(NOW.minusSeconds(7 * 86400), since.convert("7d"));
    }

    @Test
    void anythingElseIsAClearError() {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> since.convert("yesterday"));
        assertTrue(e.getMessage().startsWith("'yesterday' is not a time (2026-12-01T10:00:00Z), a day (2026-12-01) or how long ago"), e.getMessage());
        assertThrows(TypeConversionException.class, () -> since.convert("2026-13-01"));
        assertThrows(TypeConversionException.class, () -> since.convert("5w"));
    }
}
