package io.spillway.segments;

import static io.spillway.segments.SegmentFixtures.ALIGN;
import static io.spillway.segments.SegmentFixtures.allLive;
import static io.spillway.segments.SegmentFixtures.key;
import static io.spillway.segments.SegmentFixtures.payload;
import static io.spillway.segments.SegmentFixtures.readBuffer;
import static io.spillway.segments.SegmentFixtures.staging;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.TestQueues;
import io.spillway.segments.io.WriteQueue;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SegmentWriter#appendAsync}: groups written while others are still in flight land as a
 * synchronous {@link SegmentWriter#append} would put them, and a sync never claims a write that
 * has not ended.
 */
class SegmentWriterAsyncTest {

    private static final long ID = 0x2b;

    @TempDir
    Path dir;

    private static WriteQueue queue(String engine) {
        return engine.equals("inline") ? WriteQueue.inline() : TestQueues.ioUringOrSkip(8, "test-writes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "inline"})
    void groupsInFlightSealAndReadBackVerified(String engine) throws Exception {
        FileIO io = SegmentFixtures.io(dir, true);
        WriteQueue q = queue(engine);
        List<byte[]> all = new ArrayList<>();
        List<BlockLocation> locations = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            SegmentWriter w = SegmentWriter.create(io, dir, ID, 64L << 20, ALIGN, staging(arena));
            List<TestQueues.Written> inFlight = new ArrayList<>();
            List<MemorySegment> scratch = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                scratch.add(AlignedBuffers.allocate(arena, SegmentWriter.scratchBytes(ALIGN), ALIGN));
            }
            int k = 0;
            for (int g = 0; g < 24; g++) {
                if (inFlight.size() == scratch.size()) { // reuse the oldest scratch once its write ended
                    assertNull(inFlight.removeFirst().get(10, TimeUnit.SECONDS));
                    scratch.add(scratch.removeFirst());
                }
                List<RecordSource> records = new ArrayList<>();
                for (int r = 0; r < 1 + g % 4; r++, k++) {
                    // Every fifth record is a heap array: its group goes the staged way, at once.
                    byte[] d = payload(k, k % 5 == 4 ? 10_000 + k : ALIGN * (1 + k % 7));
                    records.add(new RecordSource(key(k), List.of(k % 5 == 4 ? MemorySegment.ofArray(d) : nativeCopy(arena, d)),
                            Codec.NONE, d.length, 0, 1_700_000_000_000L));
                    all.add(d);
                }
                TestQueues.Written done = new TestQueues.Written();
                locations.addAll(w.appendAsync(records, () -> { }, scratch.get(inFlight.size()), q, done));
                inFlight.add(done);
                assertTrue(w.syncedPosition() <= w.position());
            }
            for (TestQueues.Written done : inFlight) {
                assertNull(done.get(10, TimeUnit.SECONDS));
            }
            w.sync();
            assertEquals(w.position(), w.syncedPosition(), "every write had ended, so the sync covers them all");
            w.seal(allLive(w));
            w.close();
            assertEquals(0, q.shutdown(Duration.ofSeconds(5)));
        }
        Path seg = dir.resolve(new SegmentPath(ID, SegmentPath.State.SEALED).fileName());
        try (SegmentReader r = SegmentReader.open(io, seg, ID); Arena arena = Arena.ofConfined()) {
            assertEquals(all.size(), r.readFooter().entries().size());
            for (int i = 0; i < all.size(); i++) {
                BlockLocation loc = locations.get(i);
                MemorySegment dst = readBuffer(arena, loc.storedLength());
                r.readVerified(loc, dst);
                assertEquals(-1, dst.asSlice(0, all.get(i).length).mismatch(MemorySegment.ofArray(all.get(i))), "record " + i);
            }
        }
        assertEquals(all.size(), SegmentScanner.scan(io, seg, ID, true, Long.MAX_VALUE).records().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "inline"})
    void scratchThatCannotHoldAHeaderBlockIsRefused(String engine) throws Exception {
        FileIO io = SegmentFixtures.io(dir, true);
        WriteQueue q = queue(engine);
        try (Arena arena = Arena.ofShared()) {
            SegmentWriter w = SegmentWriter.create(io, dir, ID, 4L << 20, ALIGN, staging(arena));
            byte[] d = payload(1, ALIGN);
            List<RecordSource> one = List.of(new RecordSource(key(1), List.of(nativeCopy(arena, d)), Codec.NONE, d.length, 0, 1L));
            MemorySegment small = AlignedBuffers.allocate(arena, ALIGN, ALIGN);
            assertThrows(IllegalArgumentException.class, () -> w.appendAsync(one, () -> { }, small, q, new TestQueues.Written()));
            w.close();
            assertEquals(0, q.shutdown(Duration.ofSeconds(5)));
        }
    }

    private static MemorySegment nativeCopy(Arena arena, byte[] d) {
        MemorySegment n = AlignedBuffers.allocate(arena, d.length, ALIGN);
        MemorySegment.copy(d, 0, n, ValueLayout.JAVA_BYTE, 0, d.length);
        return n;
    }
}
