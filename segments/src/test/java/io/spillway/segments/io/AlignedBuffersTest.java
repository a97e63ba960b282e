package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class AlignedBuffersTest {

    @Test
    void arithmetic() {
        assertEquals(0, AlignedBuffers.alignUp(0, 4096));
        assertEquals(4096, AlignedBuffers.alignUp(1, 4096));
        assertEquals(4096, AlignedBuffers.alignUp(4096, 4096));
        assertEquals(4096, AlignedBuffers.alignDown(8191, 4096));
        assertThrows(ArithmeticException.class, () -> AlignedBuffers.alignUp(Long.MAX_VALUE, 4096));
        assertThrows(IllegalArgumentException.class, () -> AlignedBuffers.alignUp(1, 3));
        assertThrows(IllegalArgumentException.class, () -> AlignedBuffers.alignDown(-1, 4096));
    }

    @Test
    void allocationAndChecks() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = AlignedBuffers.allocate(arena, 8192, 4096);
            assertTrue(AlignedBuffers.isAligned(s, 4096));
            assertFalse(AlignedBuffers.isAligned(s.asSlice(512), 4096));
            assertFalse(AlignedBuffers.isAligned(s.asSlice(0, 100), 4096));
            assertFalse(AlignedBuffers.isAligned(MemorySegment.ofArray(new byte[4096]), 4096));
        }
    }
}
