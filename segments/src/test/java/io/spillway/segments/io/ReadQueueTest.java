package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both read queues keep {@link StoreFile#read}'s contract (the whole buffer, or less only at end
 * of file), report each read exactly once, and hold a file's descriptor while they read it.
 */
class ReadQueueTest {

    private static final int ALIGN = 4096;

    @TempDir
    Path dir;

    private ReadQueue queue;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeAll
    static void linuxOnly() {
        assumeTrue(PosixFileIO.isSupported(), () -> "PosixFileIO unsupported: " + PosixFileIO.unsupportedReason());
    }

    @AfterEach
    void shutdown() throws Exception {
        if (queue != null) {
            assertEquals(0, queue.shutdown(Duration.ofSeconds(5)), "nothing left in flight");
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private ReadQueue queue(String engine, int depth) {
        queue = engine.equals("io_uring") ? TestQueues.ioUringOrSkip(depth, "test-ring") : new ThreadedReadQueue(depth, "test-threads");
        return queue;
    }

    private FileIO io(boolean direct) {
        if (direct) {
            DirectIoProbe.Result r = DirectIoProbe.probe(dir, ALIGN);
            assumeTrue(r.directIo(), () -> "O_DIRECT not available in " + dir + ": " + r.reason());
        }
        return new PosixFileIO(direct, ALIGN);
    }

    /** A file of {@code size} seeded bytes, opened for reading. */
    private StoreFile file(FileIO io, String name, long size, long seed, Arena arena) throws IOException {
        Path p = dir.resolve(name);
        MemorySegment content = AlignedBuffers.allocate(arena, AlignedBuffers.alignUp(size, ALIGN), ALIGN);
        fillSeeded(content, seed);
        try (StoreFile w = io.create(p)) {
            w.write(content, 0);
            w.truncate(size);
        }
        StoreFile f = io.openRead(p);
        open.add(f);
        return f;
    }

    private static void fillSeeded(MemorySegment m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= m.byteSize(); i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }

    private static boolean sameAsSeeded(MemorySegment got, long fileOffset, long seed, long length) {
        MemorySegment expected = Arena.ofAuto().allocate(AlignedBuffers.alignUp(fileOffset + length, 8), 8);
        fillSeeded(expected, seed);
        return MemorySegment.mismatch(got, 0, length, expected, fileOffset, fileOffset + length) == -1;
    }

    /** A completion as a future: bytes read, or the failure. */
    private static final class Result implements ReadQueue.ReadCompletion {
        final CompletableFuture<Long> future = new CompletableFuture<>();
        final AtomicInteger reports = new AtomicInteger();

        @Override
        public void completed(long bytes) {
            reports.incrementAndGet();
            future.complete(bytes);
        }

        @Override
        public void failed(IOException error) {
            reports.incrementAndGet();
            future.completeExceptionally(error);
        }

        long bytes() throws InterruptedException, ExecutionException, TimeoutException {
            return future.get(10, TimeUnit.SECONDS);
        }
    }

    /** One read handed to a queue: the file offset, the buffer and the completion. */
    private record Submitted(long offset, MemorySegment buf, Result result) {

        /** Whether the first {@code length} bytes of the buffer are the file's, seeded with {@code seed}. */
        boolean holdsSeeded(long seed, long length) {
            return sameAsSeeded(buf, offset, seed, length);
        }
    }

    /** Asks {@code q} to read {@code length} bytes of {@code f} at {@code offset} into a new aligned buffer. */
    private static Submitted submit(ReadQueue q, StoreFile f, long offset, long length, Arena arena) throws IOException {
        Submitted s = new Submitted(offset, AlignedBuffers.allocate(arena, length, ALIGN), new Result());
        q.read(f, s.buf(), offset, s.result());
        return s;
    }

    @ParameterizedTest(name = "{0}, direct={1}")
    @CsvSource({"io_uring, true", "io_uring, false", "threads, true", "threads, false"})
    void readsFillTheBufferOrStopAtEndOfFile(String engine, boolean direct) throws Exception {
        ReadQueue q = queue(engine, 8);
        try (Arena arena = Arena.ofShared()) {
            long size = 5L * ALIGN + 1000; // the file ends inside its last page
            StoreFile f = file(io(direct), "a", size, 11, arena);
            Submitted whole = submit(q, f, 0, 6L * ALIGN, arena);
            Submitted middle = submit(q, f, 2L * ALIGN, 2L * ALIGN, arena);
            Submitted past = submit(q, f, 8L * ALIGN, ALIGN, arena);
            assertEquals(size, whole.result().bytes(), "short only at end of file");
            assertTrue(whole.holdsSeeded(11, size));
            assertEquals(2L * ALIGN, middle.result().bytes());
            assertTrue(middle.holdsSeeded(11, 2L * ALIGN));
            assertEquals(0, past.result().bytes(), "past the end: nothing");
            for (Submitted r : List.of(whole, middle, past)) {
                assertEquals(1, r.result().reports.get(), "reported exactly once");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads"})
    void manyConcurrentReadsAllArriveIntact(String engine) throws Exception {
        ReadQueue q = queue(engine, 16);
        try (Arena arena = Arena.ofShared()) {
            long chunk = 64 << 10;
            int chunks = 64;
            StoreFile f = file(io(true), "b", chunk * chunks, 23, arena);
            SplittableRandom order = new SplittableRandom(5);
            for (int round = 0; round < 4; round++) {
                List<Submitted> reads = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    reads.add(submit(q, f, order.nextInt(chunks) * chunk, chunk, arena));
                }
                for (int i = 0; i < reads.size(); i++) {
                    assertEquals(chunk, reads.get(i).result().bytes());
                    assertTrue(reads.get(i).holdsSeeded(23, chunk), "read " + i + " of round " + round);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads"})
    void closingTheFileWhileReadsAreInFlightNeverTakesTheirDescriptor(String engine) throws Exception {
        ReadQueue q = queue(engine, 16);
        try (Arena arena = Arena.ofShared()) {
            long chunk = 256 << 10;
            StoreFile f = file(io(true), "c", chunk * 16, 31, arena);
            List<Submitted> reads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                try {
                    reads.add(submit(q, f, i * chunk, chunk, arena));
                } catch (IOException e) {
                    break; // the file was closed under us by then: refused, never reported
                }
                if (i == 3) {
                    f.close();
                }
            }
            assertTrue(reads.size() >= 4);
            for (int i = 0; i < reads.size(); i++) {
                try {
                    assertEquals(chunk, reads.get(i).result().bytes());
                    assertTrue(reads.get(i).holdsSeeded(31, chunk), "read " + i + " read another file's bytes");
                } catch (ExecutionException e) {
                    // The threaded queue takes the descriptor when a read runs, not when it is queued: a read
                    // still queued when the file closed fails cleanly. The ring holds it from submission on.
                    assertInstanceOf(ClosedChannelException.class, e.getCause());
                    assertTrue(engine.equals("threads"), "read " + i + " failed: " + e.getCause());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "threads"})
    void aShutDownQueueRefusesNewReads(String engine) throws Exception {
        ReadQueue q = queue(engine, 4);
        assertEquals(0, q.shutdown(Duration.ofSeconds(1)));
        queue = null;
        try (Arena arena = Arena.ofShared()) {
            StoreFile f = file(io(false), "d", ALIGN, 1, arena);
            Result r = new Result();
            assertThrows(IOException.class, () -> q.read(f, AlignedBuffers.allocate(arena, ALIGN, ALIGN), 0, r));
            assertEquals(0, r.reports.get(), "a refused read is never reported");
        }
    }

    @Test
    void theRingReadsFilesWithoutADescriptorOnThreads() throws Exception {
        ReadQueue q = queue("io_uring", 4);
        try (Arena arena = Arena.ofShared()) {
            StoreFile f = file(new ChannelFileIO(ALIGN), "e", 3 * ALIGN, 41, arena);
            MemorySegment heap = MemorySegment.ofArray(new byte[3 * ALIGN]);
            Result r = new Result();
            q.read(f, heap, 0, r);
            assertEquals(3L * ALIGN, r.bytes());
            assertTrue(sameAsSeeded(heap, 0, 41, 3L * ALIGN));
        }
    }

    @Test
    void aRefusedRingFallsBackToThreadsWithTheReason() {
        ReadQueues.Opened opened = ReadQueues.open(true, 4, "test-fallback", (depth, name) -> {
            throw new NativeIOException("io_uring_setup", null, Errno.EPERM, "io_uring_setup failed: Operation not permitted (EPERM, errno 1)");
        });
        queue = opened.queue();
        assertInstanceOf(ThreadedReadQueue.class, opened.queue());
        assertNotNull(opened.ioUringRefused().orElse(null));
        assertTrue(opened.ioUringRefused().get().contains("EPERM"), opened.ioUringRefused().get());
        assertEquals("4 threads", opened.queue().describe());

        ReadQueues.Opened unsupported = ReadQueues.open(true, 2, "test-fallback2", (depth, name) -> {
            throw new UnsupportedOperationException("this kernel's io_uring does not support IORING_OP_READ (needs Linux 5.6)");
        });
        assertInstanceOf(ThreadedReadQueue.class, unsupported.queue());
        assertTrue(unsupported.ioUringRefused().get().contains("IORING_OP_READ"));
        try {
            assertEquals(0, unsupported.queue().shutdown(Duration.ofSeconds(1)));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }

        ReadQueues.Opened threads = ReadQueues.open(false, 3, "test-threads-only");
        assertTrue(threads.ioUringRefused().isEmpty(), "not asked for io_uring: nothing refused");
        try {
            assertEquals(0, threads.queue().shutdown(Duration.ofSeconds(1)));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThrows(IllegalArgumentException.class, () -> ReadQueues.open(false, 0, "bad"));
    }
}
