package io.spillway.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HitsReinsertionTest {

    @Test
    void keepsHotBlocksWithinTheBudget() {
        HitsReinsertion p = new HitsReinsertion(2, 10, () -> 1000); // a budget of 100 bytes
        assertFalse(p.reinsert(1, 10), "read once: below reinsert_hits");
        assertTrue(p.reinsert(2, 60));
        assertFalse(p.reinsert(9, 60), "60 more would make 120 of 100");
        assertTrue(p.reinsert(3, 40), "exactly the budget is allowed");
        assertEquals(100, p.reinsertedBytes());
        assertFalse(p.withinBudget(1));
    }

    @Test
    void theBudgetGrowsWithWhatUsersWrite() {
        AtomicLong user = new AtomicLong(100);
        HitsReinsertion p = new HitsReinsertion(1, 50, user::get);
        assertTrue(p.reinsert(1, 50));
        assertFalse(p.reinsert(1, 50));
        user.set(200);
        assertTrue(p.reinsert(1, 50), "read at each decision");
    }

    @Test
    void zeroHitsOrZeroBudgetKeepNothing() {
        assertFalse(new HitsReinsertion(0, 100, () -> 1 << 30).reinsert(1_000, 1));
        assertFalse(new HitsReinsertion(1, 0, () -> 1 << 30).reinsert(1_000, 1));
        assertFalse(ReinsertionPolicy.NEVER.reinsert(Integer.MAX_VALUE, 0));
    }

    @Test
    void badArgumentsAreRefusedWithWhatIsAllowed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HitsReinsertion(-1, 10, () -> 0));
        assertTrue(e.getMessage().contains("minHits >= 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HitsReinsertion(1, 101, () -> 0));
        assertThrows(IllegalArgumentException.class, () -> new HitsReinsertion(1, -1, () -> 0));
        assertThrows(NullPointerException.class, () -> new HitsReinsertion(1, 10, null));
    }

    /**
     * Random decisions against the rule itself: a block is kept exactly when it is hot enough
     * and fits what is left of the budget, a kept block is charged its bytes, a refused one
     * nothing, and the bytes kept never exceed the budget.
     */
    @Test
    void decidesAsTheRuleSaysOnSeededRandomRuns() {
        for (long seed = 1; seed <= 300; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            int minHits = r.nextInt(4);
            int percent = r.nextInt(101);
            AtomicLong user = new AtomicLong(r.nextLong(1 << 20));
            HitsReinsertion p = new HitsReinsertion(minHits, percent, user::get);
            long kept = 0;
            for (int op = 0; op < 300; op++) {
                user.addAndGet(r.nextLong(1 << 16));
                int hits = r.nextInt(6);
                long bytes = r.nextLong(1 << 16);
                double budget = user.get() * percent / 100.0;
                boolean expected = minHits > 0 && hits >= minHits && kept + bytes <= budget;
                String where = "seed " + seed + " op " + op;
                assertEquals(expected, p.reinsert(hits, bytes), where);
                kept += expected ? bytes : 0;
                assertEquals(kept, p.reinsertedBytes(), where);
                assertTrue(kept <= budget, where);
            }
        }
    }
}
