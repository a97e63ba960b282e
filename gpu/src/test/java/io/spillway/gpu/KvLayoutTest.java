package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KvLayoutTest {

    @Test
    void vllmPagedAddressesKThenVPerLayer() {
        long[] bases = {0x1000_0000L, 0x2000_0000L};
        KvLayout l = KvLayout.vllmPaged(bases, 10, 16, 8, 128, 2);
        long chunk = 16 * 8 * 128 * 2;
        assertEquals(4, l.chunks().size());
        assertEquals(2, l.layers());
        assertEquals(4 * chunk, l.blockBytes());
        // Block 3: layer 0 K, layer 0 V (after all 10 K blocks), layer 1 K, layer 1 V.
        assertEquals(bases[0] + 3 * chunk, l.address(0, 3));
        assertEquals(bases[0] + (10 + 3) * chunk, l.address(1, 3));
        assertEquals(bases[1] + 3 * chunk, l.address(2, 3));
        assertEquals(bases[1] + (10 + 3) * chunk, l.address(3, 3));
        assertEquals(0, l.offsetInBlock(0));
        assertEquals(3 * chunk, l.offsetInBlock(3));
        assertThrows(IllegalArgumentException.class, () -> l.address(0, 10));
    }

    @Test
    void contiguousIsOneChunkPerBlock() {
        KvLayout l = KvLayout.contiguous(4096, 4, 2 << 20);
        assertEquals(1, l.layers());
        assertEquals(4096 + 3L * (2 << 20), l.address(0, 3));
    }
}
