package io.spillway.segments;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.PosixFileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared helpers for the segment tests: IO choice, payloads, record sources, group bookkeeping. */
final class SegmentFixtures {

    static final int ALIGN = 4096;

    private SegmentFixtures() {
    }

    /** PosixFileIO, direct only where {@link DirectIoProbe} says the directory takes O_DIRECT. */
    static FileIO io(Path dir, boolean direct) {
        assumeTrue(PosixFileIO.isSupported(), () -> "PosixFileIO unsupported: " + PosixFileIO.unsupportedReason());
        if (direct) {
            DirectIoProbe.Result r = DirectIoProbe.probe(dir, ALIGN);
            assumeTrue(r.directIo(), () -> "O_DIRECT not available in " + dir + ": " + r.reason());
        }
        return new PosixFileIO(direct, ALIGN);
    }

    static RecordKey key(int i) {
        return keyOf(i, i * 7 + 1);
    }

    /** A distinct key per sequence of ints: their SHA-256 (tests need distinct keys, not chains). */
    static RecordKey keyOf(int... parts) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (int p : parts) {
                sha.update(new byte[] {(byte) p, (byte) (p >> 8), (byte) (p >> 16), (byte) (p >> 24)});
            }
            return RecordKey.of(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] payload(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * A record of {@code data}, split into {@code pieces} uneven pieces, alternately heap and
     * native (from {@code arena}) when {@code mixed}, else all native.
     */
    static RecordSource source(RecordKey key, byte[] data, int pieces, boolean mixed, Arena arena, int flags) {
        List<MemorySegment> out = new ArrayList<>();
        int start = 0;
        for (int p = 0; p < pieces; p++) {
            int end = p == pieces - 1 ? data.length : Math.min(data.length, start + data.length / pieces + (p * 977) % 4000);
            byte[] part = java.util.Arrays.copyOfRange(data, start, end);
            if (mixed && p % 2 == 0) {
                out.add(MemorySegment.ofArray(part));
            } else {
                MemorySegment n = arena.allocate(Math.max(1, part.length)).asSlice(0, part.length);
                MemorySegment.copy(part, 0, n, ValueLayout.JAVA_BYTE, 0, part.length);
                out.add(n);
            }
            start = end;
        }
        return new RecordSource(key, out, Codec.NONE, data.length, flags, 1_700_000_000_000L);
    }

    /** A single heap piece. */
    static RecordSource heapSource(RecordKey key, byte[] data, int flags) {
        return new RecordSource(key, List.of(MemorySegment.ofArray(data)), Codec.NONE, data.length, flags, 1_700_000_000_000L);
    }

    /** An aligned native buffer large enough for a verified read of {@code stored} bytes. */
    static MemorySegment readBuffer(Arena arena, int stored) {
        return AlignedBuffers.allocate(arena, Math.max(ALIGN, SegmentLayout.alignUp(stored, ALIGN)), ALIGN);
    }

    static MemorySegment staging(Arena arena) {
        return AlignedBuffers.allocate(arena, 1 << 20, ALIGN);
    }

    /**
     * One written group, as the test knows it.
     *
     * @param payloadEnd the end of the last payload: bytes from here to {@code end} are padding
     */
    record Group(long start, long end, long payloadEnd, List<SegmentFooter.Entry> entries, List<byte[]> data) {
    }

    /** Appends one group and records where it went. */
    static Group append(SegmentWriter w, List<RecordSource> records, List<byte[]> data) throws IOException {
        long start = w.position();
        List<BlockLocation> locs = w.append(records, () -> { });
        List<SegmentFooter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            entries.add(new SegmentFooter.Entry(records.get(i).key(), locs.get(i)));
        }
        BlockLocation last = locs.getLast();
        return new Group(start, w.position(), last.payloadOffset() + last.storedLength(), entries, data);
    }

    static List<SegmentFooter.Entry> entriesOf(List<Group> groups) {
        List<SegmentFooter.Entry> out = new ArrayList<>();
        for (Group g : groups) {
            out.addAll(g.entries());
        }
        return out;
    }

    /** Overwrites {@code length} bytes at {@code offset} with seeded random bytes (test-side IO). */
    static void scribble(Path file, long offset, int length, long seed) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(payload(seed, length)), offset);
            ch.force(true);
        }
    }

    /** Sets the file's length: shrinks it, or extends it with zeros (ftruncate semantics). */
    static void truncate(Path file, long size) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    /** Liveness for sealing a test segment: every record is live. */
    static boolean[] allLive(SegmentWriter w) {
        boolean[] live = new boolean[w.recordCount()];
        java.util.Arrays.fill(live, true);
        return live;
    }
}
