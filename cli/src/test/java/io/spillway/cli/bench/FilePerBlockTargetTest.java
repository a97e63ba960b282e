package io.spillway.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FilePerBlockTargetTest {

    @TempDir
    Path root;

    private static BlockKey key(int b) {
        byte[] k = new byte[BlockKey.BYTES];
        k[0] = (byte) 0xab;
        k[1] = (byte) 0xcd;
        k[31] = (byte) b;
        return BlockKey.of(k);
    }

    @Test
    void layoutIsHashPrefixDirectoryThenHash() {
        BlockKey k = key(1);
        String hex = k.toHex();
        assertEquals(root.resolve("abc").resolve(hex), FilePerBlockTarget.pathOf(root, k));
        assertEquals(root.resolve("abc").resolve(hex + "_3.tmp"), FilePerBlockTarget.tempPathOf(FilePerBlockTarget.pathOf(root, k), 3));
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {false, true})
    void dumpThenLoadRoundTripsAndLeavesNoTempFiles(boolean fsync) throws IOException {
        FilePerBlockTarget target = new FilePerBlockTarget(root, fsync);
        assertEquals(fsync ? FilePerBlockTarget.FSYNC_ID : FilePerBlockTarget.ID, target.id());
        assertTrue(target.label().contains(fsync ? "+ fsync" : "no fsync"), target.label());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(8192, 4096);
            MemorySegment b = arena.allocate(8192, 4096);
            for (long i = 0; i < 8192; i++) {
                a.set(ValueLayout.JAVA_BYTE, i, (byte) i);
                b.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7));
            }
            assertEquals(2, target.dump(0, List.of(key(1), key(2)), List.of(a, b)));
            MemorySegment out1 = arena.allocate(8192, 4096);
            MemorySegment out2 = arena.allocate(8192, 4096);
            MemorySegment out3 = arena.allocate(8192, 4096);
            boolean[] ok = target.load(1, List.of(key(2), key(1), key(3)), List.of(out1, out2, out3));
            assertArrayEquals(new boolean[] {true, true, false}, ok);
            assertEquals(-1, out1.mismatch(b));
            assertEquals(-1, out2.mismatch(a));
        }
        try (Stream<Path> files = Files.walk(root)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            assertEquals(2, all.size());
            assertFalse(all.stream().anyMatch(p -> p.toString().endsWith(".tmp")));
            assertTrue(all.stream().allMatch(p -> p.getParent().getFileName().toString().equals("abc")));
        }
    }
}
