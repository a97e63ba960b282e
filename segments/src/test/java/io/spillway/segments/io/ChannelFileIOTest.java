package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChannelFileIOTest {

    @TempDir
    Path dir;

    private final FileIO io = new ChannelFileIO(4096);

    @Test
    void writeReadRoundTripWithNativeAndHeapSegments() throws IOException {
        assertFalse(io.directIo());
        Path file = dir.resolve("seg.open");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = PosixFileIOTest.pattern(arena, 10_000, 1);
            long[] longs = {1, 2, 3, 4};
            try (StoreFile f = io.create(file)) {
                f.write(a, 0);
                f.write(MemorySegment.ofArray(longs), 10_000); // no ByteBuffer view: copied
                f.sync();
                assertEquals(10_032, f.size());
            }
            try (StoreFile f = io.openRead(file)) {
                MemorySegment got = arena.allocate(20_000);
                assertEquals(10_032, f.read(got, 0));
                assertEquals(-1, got.asSlice(0, 10_000).mismatch(a));
                long[] back = new long[4];
                assertEquals(32, f.read(MemorySegment.ofArray(back), 10_000));
                assertEquals(List.of(1L, 2L, 3L, 4L), List.of(back[0], back[1], back[2], back[3]));
            }
        }
    }

    @Test
    void createRefusesExistingFile() throws IOException {
        Path file = dir.resolve("x");
        io.create(file).close();
        assertThrows(FileAlreadyExistsException.class, () -> io.create(file));
    }

    @Test
    void truncateExtendsAndPreallocateIsUnsupported() throws IOException {
        Path file = dir.resolve("t");
        try (StoreFile f = io.create(file)) {
            assertFalse(f.preallocate(0, 1 << 20));
            f.truncate(8192);
            assertEquals(8192, f.size());
            f.truncate(100);
            assertEquals(100, f.size());
        }
        try (StoreFile f = io.openWrite(file)) {
            assertEquals(100, f.size());
        }
    }

    @Test
    void renameAndSyncDirectory() throws IOException {
        Path from = dir.resolve("a.open");
        Path to = dir.resolve("a.seg");
        io.create(from).close();
        io.rename(from, to);
        io.syncDirectory(dir);
        assertEquals(List.of("a.seg"), io.list(dir));
        assertEquals(0, io.allocatedBytes(to));
        assertEquals(true, io.delete(to));
        assertFalse(Files.exists(to));
    }
}
