package io.spillway.engine.policy;

import static io.spillway.engine.policy.EvictionModel.admitted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LruPolicyTest {

    @Test
    void evictsTheLeastRecentlyReadOrAdmitted() {
        LruPolicy<Long> p = admitted(new LruPolicy<>(), 1, 2, 3);
        assertEquals(1L, p.victim(k -> true), "never read: admission is the last access");
        p.touch(1L);
        assertEquals(2L, p.victim(k -> true));
        p.touch(2L);
        p.touch(3L);
        assertEquals(1L, p.victim(k -> true));
    }

    @Test
    void aRefusedItemKeepsItsPlace() {
        LruPolicy<Long> p = admitted(new LruPolicy<>(), 1, 2);
        assertEquals(2L, p.victim(k -> k == 2L));
        assertEquals(1L, p.victim(k -> true), "being asked about is not a read");
        assertNull(p.victim(k -> false));
    }

    @Test
    void admittingAgainIsNotARead() {
        LruPolicy<Long> p = admitted(new LruPolicy<>(), 1, 2, 1);
        assertEquals(1L, p.victim(k -> true));
        assertEquals(2, p.size());
    }

    @Test
    void unknownItemsAreIgnoredAndRemovedOnesForgotten() {
        LruPolicy<Long> p = new LruPolicy<>();
        p.touch(7L);
        p.remove(7L);
        assertEquals(0, p.size());
        admitted(p, 1, 2).remove(1L);
        p.touch(1L);
        assertEquals(2L, p.victim(k -> true));
        assertEquals(1, p.size());
    }

    @Test
    void matchesTheListModelOnSeededRandomRuns() {
        for (long seed = 1; seed <= 300; seed++) {
            EvictionModel.check(new LruPolicy<>(), true, seed, 400, 24);
        }
    }
}
