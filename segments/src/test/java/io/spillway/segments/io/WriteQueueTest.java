package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both write queues keep {@link StoreFile#write(List, long)}'s contract (every byte of the pieces,
 * in order, at the offset), report each write exactly once, and refuse writes after shutdown.
 */
class WriteQueueTest {

    private static final int ALIGN = 4096;

    @TempDir
    Path dir;

    private WriteQueue queue;
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void shutdown() throws Exception {
        try {
            assertEquals(0, queue == null ? 0 : queue.shutdown(Duration.ofSeconds(5)), "nothing left in flight");
        } finally {
            arena.close(); // only once the kernel is done with the pieces
        }
    }

    private WriteQueue queue(String engine, int depth) {
        assumeTrue(PosixFileIO.isSupported(), () -> "PosixFileIO unsupported: " + PosixFileIO.unsupportedReason());
        queue = engine.equals("io_uring") ? TestQueues.ioUringOrSkip(depth, "test-ring") : WriteQueue.inline();
        return queue;
    }

    private FileIO directIo() {
        DirectIoProbe.Result r = DirectIoProbe.probe(dir, ALIGN);
        assumeTrue(r.directIo(), () -> "O_DIRECT not available in " + dir + ": " + r.reason());
        return new PosixFileIO(true, ALIGN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "inline"})
    void manyGatheredWritesInFlightLandWhereTheyWereAimed(String engine) throws Exception {
        WriteQueue q = queue(engine, 8);
        FileIO io = directIo();
        int writes = 64;
        SplittableRandom random = new SplittableRandom(7);
        List<MemorySegment> expected = new ArrayList<>();
        List<TestQueues.Written> outcomes = new ArrayList<>();
        try (StoreFile f = io.create(dir.resolve("w.dat"))) {
            long offset = 0;
            for (int i = 0; i < writes; i++) {
                // 1 to 5 pieces of 1 to 8 alignment units each, as a group's header block and payloads are.
                List<MemorySegment> pieces = new ArrayList<>();
                int count = 1 + random.nextInt(5);
                for (int p = 0; p < count; p++) {
                    MemorySegment piece = arena.allocate((long) ALIGN * (1 + random.nextInt(8)), ALIGN);
                    for (long b = 0; b < piece.byteSize(); b += 8) {
                        piece.set(ValueLayout.JAVA_LONG_UNALIGNED, b, random.nextLong());
                    }
                    pieces.add(piece);
                    expected.add(piece);
                }
                TestQueues.Written o = new TestQueues.Written();
                q.write(f, pieces, offset, o);
                outcomes.add(o);
                offset += pieces.stream().mapToLong(MemorySegment::byteSize).sum();
                if (outcomes.size() >= 8) { // the caller keeps at most depth in flight
                    assertEquals(null, outcomes.get(outcomes.size() - 8).get(10, TimeUnit.SECONDS));
                }
            }
            for (TestQueues.Written o : outcomes) {
                assertEquals(null, o.get(10, TimeUnit.SECONDS));
            }
        }
        try (StoreFile f = io.openRead(dir.resolve("w.dat"))) {
            long total = expected.stream().mapToLong(MemorySegment::byteSize).sum();
            MemorySegment back = arena.allocate(total, ALIGN);
            assertEquals(total, f.read(back, 0));
            long at = 0;
            for (MemorySegment piece : expected) {
                assertEquals(-1, back.asSlice(at, piece.byteSize()).mismatch(piece), "piece at " + at);
                at += piece.byteSize();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "inline"})
    void aFailedWriteReportsTheErrorOnce(String engine) throws Exception {
        WriteQueue q = queue(engine, 4);
        FileIO io = new PosixFileIO(false, ALIGN);
        Path path = dir.resolve("ro.dat");
        Files.write(path, new byte[ALIGN]);
        // A descriptor opened read-only: the kernel fails the write with EBADF.
        try (StoreFile f = io.openRead(path)) {
            MemorySegment piece = arena.allocate(ALIGN, ALIGN);
            TestQueues.Written o = new TestQueues.Written();
            q.write(f, List.of(piece), 0, o);
            IOException error = o.get(10, TimeUnit.SECONDS);
            assertInstanceOf(IOException.class, error);
            assertTrue(error.getMessage().contains(path.getFileName().toString()), error.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring"})
    void writesAfterShutdownAreRefusedWithoutAReport(String engine) throws Exception {
        WriteQueue q = queue(engine, 4);
        FileIO io = directIo();
        try (StoreFile f = io.create(dir.resolve("late.dat"))) {
            assertEquals(0, q.shutdown(Duration.ofSeconds(5)));
            queue = null;
            TestQueues.Written o = new TestQueues.Written();
            assertThrows(IOException.class, () -> q.write(f, List.of(arena.allocate(ALIGN, ALIGN)), 0, o));
            assertTrue(!o.isDone(), "a refused write never reports");
        }
    }
}
