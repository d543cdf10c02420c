package io.fanout.shared.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

class TaskIdsTest {

    private final UUID job = UUID.fromString("6f1c2b1e-4d5a-4c3b-9a8e-1f2d3c4b5a69");

    @Test
    void aMapsItemsAreNamedTheSameEveryTime() {
        assertEquals(TaskIds.child(job, 3, 17), TaskIds.children(job, 3).apply(17));
        assertEquals(TaskIds.child(job, 3, 17), TaskIds.child(UUID.fromString(job.toString()), 3, 17));
    }

    @Test
    void oneCallsItemsSortInIndexOrderAsPostgresqlComparesThem() {
        // PostgreSQL orders uuids by their bytes, which is the order of their lower-case text
        LongFunction<UUID> ids = TaskIds.children(job, 0);
        long[] indexes = {0, 1, 2, 255, 256, 65_535, 65_536, 1L << 32, TaskIds.MAX_INDEX};
        for (int i = 1; i < indexes.length; i++) {
            assertTrue(ids.apply(indexes[i - 1]).toString().compareTo(ids.apply(indexes[i]).toString()) < 0,
                    indexes[i - 1] + " sorts before " + indexes[i]);
        }
    }

    @Test
    void childIdsAreVersion8AndNeverAJobAReduceOrAnOldChildId() {
        UUID child = TaskIds.child(job, 0, 0);
        assertEquals(8, child.version());
        assertEquals(2, child.variant());
        assertEquals(3, TaskIds.reduce(job).version());
        assertEquals(3, TaskIds.hashedChildren(job, 0).apply(0).version());
        assertEquals(3, TaskIds.jobIdForKey("nightly").version());
        assertNotEquals(TaskIds.hashedChildren(job, 0).apply(0), child);
    }

    @Test
    void differentCallsAndParentsNameDifferentChildren() {
        Set<UUID> seen = new HashSet<>();
        for (int call = 0; call < 100; call++) {
            for (long index = 0; index < 100; index++) {
                assertTrue(seen.add(TaskIds.child(job, call, index)));
                assertTrue(seen.add(TaskIds.child(TaskIds.child(job, 0, call), 0, index)));
            }
        }
    }

    @Test
    void anIndexOutOfRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> TaskIds.child(job, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> TaskIds.child(job, 0, TaskIds.MAX_INDEX + 1));
    }

    @Test
    void jobsAcceptedBeforeOrderedIdsKeepTheirChildrensIds() {
        // the ids a map had before ordered ids (a job accepted then and mapped again now must name them alike)
        assertEquals(UUID.nameUUIDFromBytes(ByteBuffer.allocate(28).putLong(job.getMostSignificantBits())
                .putLong(job.getLeastSignificantBits()).putInt(2).putLong(5).array()), TaskIds.hashedChildren(job, 2).apply(5));
    }
}
