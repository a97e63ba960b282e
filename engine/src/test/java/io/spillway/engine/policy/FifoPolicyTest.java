package io.spillway.engine.policy;

import static io.spillway.engine.policy.EvictionModel.admitted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class FifoPolicyTest {

    @Test
    void evictsInAdmissionOrderWhateverIsRead() {
        FifoPolicy<Long> p = admitted(new FifoPolicy<>(), 3, 1, 2);
        p.touch(3L);
        p.touch(3L);
        assertEquals(3L, p.victim(k -> true), "reads do not save the oldest item");
        p.remove(3L);
        assertEquals(1L, p.victim(k -> true));
        assertEquals(2, p.size());
    }

    @Test
    void aRefusedItemKeepsItsPlace() {
        FifoPolicy<Long> p = admitted(new FifoPolicy<>(), 1, 2, 3);
        assertEquals(2L, p.victim(k -> k != 1L));
        assertEquals(1L, p.victim(k -> true), "refusing an item does not move it back");
        assertNull(p.victim(k -> false));
    }

    @Test
    void admittingAgainAndUnknownItemsChangeNothing() {
        FifoPolicy<Long> p = admitted(new FifoPolicy<>(), 1, 2, 1);
        p.touch(9L);
        p.remove(9L);
        assertEquals(1L, p.victim(k -> true));
        assertEquals(2, p.size());
    }

    @Test
    void anEmptyPolicyHasNoVictim() {
        assertNull(new FifoPolicy<Long>().victim(k -> true));
    }

    @Test
    void matchesTheListModelOnSeededRandomRuns() {
        for (long seed = 1; seed <= 300; seed++) {
            EvictionModel.check(new FifoPolicy<>(), false, seed, 400, 24);
        }
    }
}
