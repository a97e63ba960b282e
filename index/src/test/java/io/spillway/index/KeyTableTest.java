package io.spillway.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spillway.segments.RecordKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyTableTest {

    /** Keys whose first word (the hash input) comes from a tiny range, so probe runs collide and wrap. */
    private static RecordKey key(SplittableRandom r, boolean colliding) {
        byte[] b = new byte[32];
        r.nextBytes(b);
        if (colliding) {
            for (int i = 1; i < 8; i++) {
                b[i] = 0;
            }
            b[0] = (byte) r.nextInt(4);
        }
        return RecordKey.of(b);
    }

    @Test
    void randomAddsAndRemovesMatchAHashSet() {
        for (boolean colliding : new boolean[] {false, true}) {
            SplittableRandom r = new SplittableRandom(colliding ? 2 : 1);
            KeyTable table = new KeyTable();
            Set<RecordKey> model = new HashSet<>();
            List<RecordKey> universe = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                universe.add(key(r, colliding));
            }
            universe.add(RecordKey.of(new byte[RecordKey.BYTES])); // the all-zero key, which doubles as the empty-slot marker
            for (int step = 0; step < 200; step++) {
                Map<RecordKey, Boolean> batch = new LinkedHashMap<>();
                for (int i = 0; i < 50; i++) {
                    RecordKey k = universe.get(r.nextInt(universe.size()));
                    batch.put(k, r.nextInt(3) != 0);
                }
                table.apply(batch);
                batch.forEach((k, add) -> {
                    if (add) {
                        model.add(k);
                    } else {
                        model.remove(k);
                    }
                });
                assertEquals(model.size(), table.size(), "size after step " + step);
                boolean[] expected = new boolean[universe.size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = model.contains(universe.get(i));
                }
                assertArrayEquals(expected, table.containsAll(universe), "membership after step " + step);
            }
        }
    }

    @Test
    void leadingStopsAtTheFirstMiss() {
        SplittableRandom r = new SplittableRandom(3);
        List<RecordKey> chain = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            chain.add(key(r, false));
        }
        Map<RecordKey, Boolean> batch = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            if (i != 6) {
                batch.put(chain.get(i), true);
            }
        }
        KeyTable table = new KeyTable();
        table.apply(batch);
        assertEquals(6, table.leading(chain));
        assertEquals(0, table.leading(List.of(chain.get(6), chain.get(0))));
        assertEquals(0, table.leading(List.of()));
    }

    @Test
    void growsPastItsFirstCapacity() {
        SplittableRandom r = new SplittableRandom(4);
        KeyTable table = new KeyTable();
        List<RecordKey> keys = new ArrayList<>();
        Map<RecordKey, Boolean> batch = new LinkedHashMap<>();
        for (int i = 0; i < 100_000; i++) {
            RecordKey k = key(r, false);
            keys.add(k);
            batch.put(k, true);
        }
        table.apply(batch);
        assertEquals(100_000, table.size());
        assertEquals(100_000, table.leading(keys));
    }
}
