package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DemoWorkloadTest {

    private static final String NS = ModelPreset.LLAMA_3_1_8B.namespace();

    private static DemoWorkload workload(int requests, long seed) {
        return DemoWorkload.generate(requests, seed, 16, NS);
    }

    @Test
    void sameSeedSameKeys() {
        assertEquals(workload(32, 42), workload(32, 42));
    }

    @Test
    void otherSeedOtherKeys() {
        DemoWorkload a = workload(8, 42);
        DemoWorkload b = workload(8, 43);
        assertNotEquals(a.requests().getFirst().firstTurnKeys().getFirst(), b.requests().getFirst().firstTurnKeys().getFirst());
    }

    @Test
    void otherNamespaceOtherKeys() {
        DemoWorkload a = workload(4, 42);
        DemoWorkload b = DemoWorkload.generate(4, 42, 16, ModelPreset.QWEN2_5_14B.namespace());
        assertNotEquals(a.requests().getFirst().firstTurnKeys(), b.requests().getFirst().firstTurnKeys());
    }

    @Test
    void requestsHaveTheDocumentedShape() {
        DemoWorkload w = workload(64, 7);
        assertEquals(64, w.requests().size());
        assertEquals(4, w.prefixCount());
        for (DemoWorkload.Request r : w.requests()) {
            int prefix = r.prefixBlocks();
            int suffix = r.firstTurnKeys().size() - prefix;
            int added = r.newKeys().size();
            assertTrue(prefix >= 8 && prefix <= 16, "prefix blocks " + prefix);
            assertTrue(suffix >= 2 && suffix <= 6, "suffix blocks " + suffix);
            assertTrue(added >= 1 && added <= 3, "new blocks " + added);
            assertEquals(r.firstTurnKeys(), r.secondTurnKeys().subList(0, r.firstTurnKeys().size()),
                    "round 2 extends round 1's chain");
        }
    }

    @Test
    void requestsOfOnePrefixShareItsKeysAndNothingElse() {
        DemoWorkload w = workload(32, 42);
        for (DemoWorkload.Request a : w.requests()) {
            for (DemoWorkload.Request b : w.requests()) {
                if (a.id() >= b.id()) {
                    continue;
                }
                Set<BlockKey> shared = new HashSet<>(a.secondTurnKeys());
                shared.retainAll(new HashSet<>(b.secondTurnKeys()));
                if (a.prefix() == b.prefix()) {
                    assertEquals(Set.copyOf(a.firstTurnKeys().subList(0, a.prefixBlocks())), shared);
                } else {
                    assertTrue(shared.isEmpty(), "requests " + a.id() + " and " + b.id() + " share keys");
                }
            }
        }
    }

    @Test
    void everyPrefixIsUsedByTheFirstRequests() {
        DemoWorkload w = workload(32, 42);
        assertEquals(Set.of(0, 1, 2, 3), w.requests().subList(0, 4).stream().map(DemoWorkload.Request::prefix).collect(Collectors.toSet()));
    }

    @Test
    void fewRequestsUseFewerPrefixes() {
        assertEquals(2, workload(2, 1).prefixCount());
        assertThrows(IllegalArgumentException.class, () -> workload(0, 1));
    }

    @Test
    void roundTwoWouldHitMoreThanHalf() {
        DemoWorkload w = workload(16, 42);
        long hits = w.requests().stream().mapToLong(r -> r.firstTurnKeys().size()).sum();
        assertTrue((double) hits / w.secondTurnBlocks() > 0.5);
    }

    @Test
    void distinctBlocksCountSharedPrefixesOnce() {
        DemoWorkload w = workload(32, 42);
        List<BlockKey> all = w.requests().stream().flatMap(r -> r.firstTurnKeys().stream()).toList();
        assertEquals(new HashSet<>(all).size(), w.distinctFirstTurnBlocks());
        assertTrue(w.distinctFirstTurnBlocks() < all.size());
        assertFalse(w.requests().getFirst().newKeys().isEmpty());
    }
}
