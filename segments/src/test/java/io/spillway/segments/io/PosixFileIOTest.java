package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PosixFileIOTest {

    private static final int ALIGN = 4096;

    @TempDir
    Path dir;

    @BeforeAll
    static void linuxOnly() {
        assumeTrue(PosixFileIO.isSupported(), () -> "PosixFileIO unsupported: " + PosixFileIO.unsupportedReason());
    }

    private FileIO io(boolean direct) {
        if (direct) {
            DirectIoProbe.Result r = DirectIoProbe.probe(dir, ALIGN);
            assumeTrue(r.directIo(), () -> "O_DIRECT not available in " + dir + ": " + r.reason());
        }
        return new PosixFileIO(direct, ALIGN);
    }

    static MemorySegment pattern(Arena arena, long size, int seed) {
        MemorySegment s = AlignedBuffers.allocate(arena, size, ALIGN);
        for (long i = 0; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + seed));
        }
        return s;
    }

    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {true, false})
    void writeReadRoundTrip(boolean direct) throws IOException {
        FileIO io = io(direct);
        assertEquals(direct, io.directIo());
        Path file = dir.resolve("seg.open");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = pattern(arena, 3 * ALIGN, 1);
            MemorySegment b = pattern(arena, 2 * ALIGN, 2);
            try (StoreFile f = io.create(file)) {
                f.write(a, 0);
                f.write(b, 3 * ALIGN);
                f.sync();
                assertEquals(5L * ALIGN, f.size());
            }
            try (StoreFile f = io.openRead(file)) {
                MemorySegment got = AlignedBuffers.allocate(arena, 2 * ALIGN, ALIGN);
                assertEquals(2L * ALIGN, f.read(got, 3 * ALIGN));
                assertEquals(-1, got.mismatch(b));
                MemorySegment all = AlignedBuffers.allocate(arena, 8 * ALIGN, ALIGN);
                assertEquals(5L * ALIGN, f.read(all, 0), "short read only at end of file");
                assertEquals(-1, all.asSlice(0, 3 * ALIGN).mismatch(a));
                assertEquals(0, f.read(got, 5 * ALIGN), "read at end of file");
            }
        }
    }

    @Test
    void directReadOfUnalignedFileEndStopsAtEndOfFile() throws IOException {
        Path file = dir.resolve("odd");
        Files.write(file, new byte[ALIGN + 100]);
        FileIO io = io(true);
        try (Arena arena = Arena.ofConfined(); StoreFile f = io.openRead(file)) {
            assertEquals(ALIGN + 100, f.read(AlignedBuffers.allocate(arena, 4 * ALIGN, ALIGN), 0));
        }
    }

    @Test
    void bufferedModeAcceptsHeapAndUnalignedSegments() throws IOException {
        FileIO io = io(false);
        Path file = dir.resolve("heap");
        byte[] data = new byte[(int) PosixStoreFile.BOUNCE_CHUNK + 123];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13);
        }
        try (StoreFile f = io.create(file)) {
            f.write(MemorySegment.ofArray(data), 5);
        }
        byte[] back = new byte[data.length];
        try (StoreFile f = io.openRead(file)) {
            assertEquals(data.length, f.read(MemorySegment.ofArray(back), 5));
        }
        assertEquals(-1, MemorySegment.ofArray(back).mismatch(MemorySegment.ofArray(data)));
    }

    @Test
    void directModeRejectsMisalignedArguments() throws IOException {
        FileIO io = io(true);
        try (Arena arena = Arena.ofConfined(); StoreFile f = io.create(dir.resolve("f"))) {
            MemorySegment buf = AlignedBuffers.allocate(arena, 2 * ALIGN, ALIGN);
            IllegalArgumentException off = assertThrows(IllegalArgumentException.class,
                    () -> f.write(buf.asSlice(0, ALIGN), 1));
            assertTrue(off.getMessage().contains("offset 1"), off.getMessage());
            IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                    () -> f.write(buf.asSlice(0, ALIGN - 1), 0));
            assertTrue(len.getMessage().contains("length " + (ALIGN - 1)), len.getMessage());
            IllegalArgumentException addr = assertThrows(IllegalArgumentException.class,
                    () -> f.write(buf.asSlice(1, ALIGN), 0));
            assertTrue(addr.getMessage().contains("address"), addr.getMessage());
            IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                    () -> f.write(MemorySegment.ofArray(new byte[ALIGN]), 0));
            assertTrue(heap.getMessage().contains("heap"), heap.getMessage());
            assertThrows(IllegalArgumentException.class, () -> f.read(buf.asSlice(0, ALIGN), 512));
            assertEquals(0, f.size(), "nothing was written");
        }
    }

    @Test
    void createRefusesExistingFileAndOpenReportsMissingFile() throws IOException {
        FileIO io = io(false);
        Path file = dir.resolve("x");
        io.create(file).close();
        FileAlreadyExistsException exists = assertThrows(FileAlreadyExistsException.class, () -> io.create(file));
        assertTrue(exists.getMessage().contains("open(") && exists.getMessage().contains("O_EXCL"), exists.getMessage());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> io.openRead(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("ENOENT"),
                missing.getMessage());
    }

    @Test
    void preallocateReservesSpaceWithoutChangingSize() throws IOException {
        FileIO io = io(false);
        Path file = dir.resolve("pre");
        long length = 8L << 20;
        try (StoreFile f = io.create(file)) {
            boolean reserved = f.preallocate(0, length);
            assumeTrue(reserved, "file system without fallocate");
            assertEquals(0, f.size());
        }
        assertEquals(0, Files.size(file));
        assertTrue(io.allocatedBytes(file) >= length, () -> "allocated " + allocated(io, file));
        assertEquals(Files.size(file), LinuxSyscalls.statSize(file.toAbsolutePath()), "struct stat offsets");
    }

    private static long allocated(FileIO io, Path file) {
        try {
            return io.allocatedBytes(file);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void truncateShrinksAndExtends() throws IOException {
        FileIO io = io(false);
        Path file = dir.resolve("t");
        try (Arena arena = Arena.ofConfined(); StoreFile f = io.create(file)) {
            f.write(pattern(arena, 3 * ALIGN, 3), 0);
            f.truncate(ALIGN + 10);
            assertEquals(ALIGN + 10, f.size());
            f.truncate(5 * ALIGN);
            assertEquals(5L * ALIGN, f.size());
        }
        assertEquals(5L * ALIGN, Files.size(file));
        assertEquals(0, Files.readAllBytes(file)[ALIGN + 10], "extension reads as zeros");
    }

    @Test
    void renameReplacesTargetAndDirectorySyncWorks() throws IOException {
        FileIO io = io(false);
        Path open = dir.resolve("00000001.open");
        Path sealed = dir.resolve("00000001.seg");
        io.create(open).close();
        Files.writeString(sealed, "old");
        io.rename(open, sealed);
        io.syncDirectory(dir);
        assertFalse(io.exists(open));
        assertEquals(0, Files.size(sealed));
        assertEquals(List.of("00000001.seg"), io.list(dir));
        assertTrue(io.delete(sealed));
        assertFalse(io.delete(sealed));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> io.rename(open, sealed));
        assertTrue(e.getMessage().contains("rename"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> io.syncDirectory(dir.resolve("missing")));
    }

    @Test
    void closedFileRefusesIo() throws IOException {
        FileIO io = io(false);
        StoreFile f = io.create(dir.resolve("c"));
        f.close();
        f.close();
        assertThrows(ClosedChannelException.class, f::size);
    }

    @Test
    void rejectsBadAlignment() {
        assertThrows(IllegalArgumentException.class, () -> new PosixFileIO(false, 3000));
        assertThrows(IllegalArgumentException.class, () -> new PosixFileIO(true, 256));
    }
}
