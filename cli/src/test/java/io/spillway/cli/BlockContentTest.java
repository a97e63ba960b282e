package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.spillway.engine.api.BlockKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BlockContentTest {

    private static final BlockKey KEY = BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3}, "test");
    private static final BlockKey OTHER = BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 4}, "test");

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 4096, 4099, 65536})
    void filledContentVerifies(int size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(size, 4096);
            BlockContent.fill(s, KEY);
            assertEquals(-1, BlockContent.firstMismatch(s, KEY));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 5, 8, 4095, 4098})
    void aFlippedByteIsFoundWhereItIs(long at) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4099, 4096);
            BlockContent.fill(s, KEY);
            s.set(ValueLayout.JAVA_BYTE, at, (byte) (s.get(ValueLayout.JAVA_BYTE, at) ^ 0x10));
            assertEquals(at, BlockContent.firstMismatch(s, KEY));
        }
    }

    @Test
    void anotherKeysContentDoesNotVerify() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4096, 4096);
            BlockContent.fill(s, OTHER);
            assertNotEquals(-1, BlockContent.firstMismatch(s, KEY));
        }
    }

    @Test
    void contentIsAFunctionOfTheKey() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(8192, 4096);
            MemorySegment b = arena.allocate(8192, 4096);
            BlockContent.fill(a, KEY);
            BlockContent.fill(b, KEY);
            assertEquals(-1, a.mismatch(b));
        }
    }
}
