package io.fanout.coordinator.pools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A pool reads empty "all along since" a time only if every reading from then on found nothing waiting (issue S4 relies on it). */
class PoolReadingTest {

    @Test
    void aPoolIsEmptyAllAlongOnlySinceItsFirstEmptyReadingOfAnUnbrokenRun() {
        PoolWatch.PoolReading r = PoolWatch.PoolReading.unknown("default", 0);
        assertFalse(r.emptyAllAlongSince(Long.MAX_VALUE - 1), "an unknown pool is never empty");

        r = r.next(0, 2, 10).next(0, 2, 20);
        assertEquals(10, r.emptySinceNanos());
        assertTrue(r.emptyAllAlongSince(10));
        assertTrue(r.emptyAllAlongSince(15));
        assertFalse(r.emptyAllAlongSince(5), "not empty before its first empty reading");

        r = r.next(3, 2, 30);
        assertFalse(r.emptyAllAlongSince(30), "a reading with tasks waiting breaks the run");
        r = r.next(0, 2, 40);
        assertEquals(40, r.emptySinceNanos(), "a new run starts at the next empty reading");
        assertFalse(r.emptyAllAlongSince(20));
    }

    @Test
    void aPoolThatCannotBeReadIsNotEmpty() {
        PoolWatch.PoolReading r = PoolWatch.PoolReading.unknown("default", 0).next(0, 1, 10);
        assertTrue(r.emptyAllAlongSince(10));
        r = PoolWatch.PoolReading.unknown("default", 20); // as a failed reading publishes
        assertTrue(Double.isNaN(r.lag()));
        assertFalse(r.emptyAllAlongSince(10));
        assertEquals(30, r.next(0, 1, 30).next(0, 1, 40).emptySinceNanos(), "empty again only from its next empty reading");
    }
}
