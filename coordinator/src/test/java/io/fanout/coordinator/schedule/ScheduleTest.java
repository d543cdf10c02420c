package io.fanout.coordinator.schedule;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final String REQUEST = "{\"processor\": \"report\"}";

    @Test
    void nextRunsFollowTheCronExpressionInTheSchedulesZone() {
        Instant now = Instant.parse("2026-03-20T12:00:00Z");
        Schedule nightly = Schedule.create("nightly", "0 2 * * *", "Europe/Berlin", REQUEST, "forbid", now);
        assertEquals(Instant.parse("2026-03-21T01:00:00Z"), nightly.nextFireAt(), "02:00 in Berlin in winter is 01:00 UTC");
        assertEquals(Instant.parse("2026-04-02T00:00:00Z"), nightly.nextAfter(Instant.parse("2026-04-01T12:00:00Z")), "and 00:00 UTC in summer");
        assertEquals(Schedule.ConcurrencyPolicy.FORBID, nightly.policy());
        assertEquals("schedule:nightly:2026-03-21T01:00:00Z", nightly.runKey(nightly.nextFireAt()));
    }

    @Test
    void badSettingsFailNamingTheSetting() {
        Instant now = Instant.now();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "every day", "UTC", REQUEST, "allow", now))
                .getMessage().contains("schedule cron 'every day' is not a cron expression"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "Mars/Olympus", REQUEST, "allow", now))
                .getMessage().contains("schedule zone 'Mars/Olympus'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "UTC", REQUEST, "sometimes", now))
                .getMessage().contains("allow, forbid or replace"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "UTC", "{\"processor\": 1}", "allow", now))
                .getMessage().contains("schedule request is not a valid job or workflow run request"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "UTC", "{\"workflow\": 7}", "allow", now))
                .getMessage().contains("field 'workflow' is a stored workflow's name or a definition object"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "UTC", "not json", "allow", now))
                .getMessage().contains("schedule request is not JSON"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("n", "* * * * *", "UTC",
                "{\"processor\": \"p\", \"key\": \"k\"}", "allow", now)).getMessage().contains("each run gets its own key"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.create("bad name", "* * * * *", "UTC", REQUEST, "allow", now))
                .getMessage().contains("schedule name"));
        assertDoesNotThrow(() -> Schedule.create("n", "* * * * *", "UTC", "{\"processor\": \"p\", \"params\": {\"id\": \"nested\"}}", "allow", now),
                "an 'id' inside params is the processor's business");
    }
}
