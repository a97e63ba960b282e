package io.spillway.fuzz.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.CommitLog;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Format fuzzing (issue 5, part 1): arbitrary bytes into every decoder of the on-disk format.
 * The only failure allowed is {@link CorruptRecordException} (with its offset): any other
 * exception, a hang (Jazzer's timeout) or an allocation driven by an unchecked length field
 * (Jazzer's OOM detection, under a 2 GiB heap) is a finding.
 *
 * <p>Regression mode ({@code mvn test}) replays the committed corpus under
 * {@code src/test/resources/io/spillway/fuzz/format/FormatFuzzTestInputs/<method>/}: valid
 * records, group headers, a segment header and whole sealed segments, so the fuzzer starts from
 * inputs that pass the checksums. Fuzzing mode: {@code .ci/fuzz} (see there).
 */
class FormatFuzzTest {

    private static final AtomicLong EXECUTIONS = new AtomicLong();
    private static final int[] ALIGNMENTS = {512, 1024, 4096};

    /**
     * The fixed-size structures. Input layout (so seeds are plain files): byte 0 picks the
     * decoder (a segment header, a group header, a record header, or a whole group header block
     * decoded the way the scanner decodes it); byte 1 the alignment; bytes 2-25 the file offset,
     * file limit and segment id the decoder checks against (little-endian); the rest is the
     * structure.
     */
    @FuzzTest(maxDuration = "30s")
    void headers(byte[] input) {
        EXECUTIONS.incrementAndGet();
        if (input.length < HEADERS_PREFIX) {
            return;
        }
        ByteBuffer p = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        int which = (input[0] & 0xff) % 4;
        int alignment = ALIGNMENTS[(input[1] & 0xff) % ALIGNMENTS.length];
        long fileOffset = p.getLong(2) & ((1L << 40) - 1);
        long fileLimit = p.getLong(10) & ((1L << 40) - 1);
        long segmentId = p.getLong(18) & ((1L << 40) - 1);
        ByteBuffer buf = ByteBuffer.wrap(input, HEADERS_PREFIX, input.length - HEADERS_PREFIX).slice().order(ByteOrder.LITTLE_ENDIAN);
        try {
            switch (which) {
                case 0 -> SegmentHeader.decode(buf);
                case 1 -> GroupHeader.decode(buf, segmentId, fileOffset, fileLimit, alignment);
                case 2 -> RecordHeader.decode(buf, fileOffset, fileLimit);
                default -> {
                    GroupHeader g = GroupHeader.decode(buf, segmentId, fileOffset, fileLimit, alignment);
                    if (g != null) {
                        for (int i = 0; i < g.count(); i++) {
                            RecordHeader.decode(buf, fileOffset + GroupHeader.BYTES + (long) i * RecordHeader.BYTES,
                                    fileOffset + g.groupLength());
                        }
                    }
                }
            }
        } catch (CorruptRecordException expected) {
            checkOffset(expected);
        }
    }

    static final int HEADERS_PREFIX = 26;

    /**
     * A whole segment file, read the way the store reads it: open (header), footer, every footer
     * entry's payload, fsck's padding check and a full scan; a load that passes its CRC must
     * return the bytes written. The same bytes are also read as a commit log.
     * Input layout: byte 0 even: the rest is the file; odd: the rest patches the valid segment
     * {@link ValidSegment} (repeated: 2-byte offset, 1-byte length, that many bytes), so the
     * fuzzer gets past the checksums to the structure behind them.
     */
    @FuzzTest(maxDuration = "30s")
    void segmentFile(byte[] input) throws IOException {
        EXECUTIONS.incrementAndGet();
        if (input.length == 0) {
            return;
        }
        byte[] image;
        if ((input[0] & 1) == 0) {
            image = java.util.Arrays.copyOfRange(input, 1, input.length);
        } else {
            image = ValidSegment.IMAGE.clone();
            int at = 1;
            while (at + 3 <= input.length) {
                int off = ((input[at] & 0xff) | (input[at + 1] & 0xff) << 8) % image.length;
                int len = input[at + 2] & 0x0f;
                at += 3;
                int n = Math.min(len, Math.min(input.length - at, image.length - off));
                System.arraycopy(input, at, image, off, n);
                at += n;
                if (len == 0x0f) {
                    image = java.util.Arrays.copyOf(image, off); // truncated: a torn tail
                    break;
                }
            }
        }
        readLikeTheStore(image);
    }

    static void readLikeTheStore(byte[] image) throws IOException {
        SimDisk disk = new SimDisk();
        Path dir = Path.of("/sim/fuzz");
        disk.mkdirs(dir);
        Path file = new SegmentPath(ValidSegment.ID, SegmentPath.State.SEALED).in(dir);
        disk.plant(file, image);
        SimFileIO io = new SimFileIO(disk, 512, null);
        try (Arena arena = Arena.ofConfined()) {
            try (SegmentReader r = SegmentReader.open(io, file, ValidSegment.ID)) {
                try {
                    SegmentFooter f = r.readFooter();
                    for (SegmentFooter.Entry e : f.entries()) {
                        BlockLocation loc = e.location();
                        if (loc.storedLength() > RecordHeader.MAX_PAYLOAD) {
                            throw new AssertionError("footer passed its checks with a record of " + loc.storedLength() + " bytes");
                        }
                        MemorySegment buf = arena.allocate(Math.max(512, (loc.storedLength() + 511) / 512 * 512L), 512);
                        try {
                            r.readVerified(loc, buf);
                            checkServed(e, buf.asSlice(0, loc.storedLength()));
                        } catch (CorruptRecordException expected) {
                            checkOffset(expected);
                        }
                    }
                } catch (CorruptRecordException expected) {
                    checkOffset(expected);
                }
            }
            try (SegmentReader r = SegmentReader.open(io, file, ValidSegment.ID)) {
                SegmentPadding.check(r, r.readFooter()); // fsck --deep's padding check: any result, or a CorruptRecordException
            } catch (CorruptRecordException expected) {
                checkOffset(expected);
            }
            readAsCommitLog(disk, dir, image);
            SegmentScanner.Result scan = SegmentScanner.scan(io, file, ValidSegment.ID, true, Long.MAX_VALUE);
            // With no group at all the valid prefix is the data's start, which a short file may not reach.
            long limit = Math.max(image.length, SegmentLayout.firstGroupOffset(scan.alignment()));
            if (scan.validEnd() > limit) {
                throw new AssertionError("scan's valid prefix ends at " + scan.validEnd() + ", past the file's " + image.length + " bytes");
            }
        } catch (CorruptRecordException expected) {
            checkOffset(expected);
        }
    }

    /**
     * The same bytes as a {@link CommitLog}, read as recovery reads it: no exception, a valid
     * prefix within the file and on the alignment, sequence numbers that never go down.
     */
    private static void readAsCommitLog(SimDisk disk, Path dir, byte[] image) throws IOException {
        disk.plant(dir.resolve(CommitLog.FILE_NAME), image);
        CommitLog.Contents c = CommitLog.read(new SimFileIO(disk, 512, null), dir);
        if (c.validEnd() > image.length || c.validEnd() % 512 != 0) {
            throw new AssertionError("commit log's valid prefix ends at " + c.validEnd() + " in a file of " + image.length + " bytes");
        }
        long seq = 0;
        for (CommitLog.Record r : c.records()) {
            if (r.seq() < seq || r.entries().isEmpty() || r.entries().size() > CommitLog.MAX_ENTRIES) {
                throw new AssertionError("commit log record " + r.seq() + " after " + seq + " with " + r.entries().size() + " entries");
            }
            seq = r.seq();
        }
    }

    /** A verified load of a record the valid segment holds must return exactly its bytes. */
    private static void checkServed(SegmentFooter.Entry e, MemorySegment got) {
        byte[] want = ValidSegment.PAYLOADS.get(e.key());
        if (want != null && e.location().payloadOffset() == ValidSegment.OFFSETS.get(e.key())
                && !java.util.Arrays.equals(want, got.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))) {
            throw new AssertionError("a load that passed its CRC returned other bytes than were written for " + e.key().shortHex());
        }
    }

    private static void checkOffset(CorruptRecordException e) {
        if (e.offset() < 0) {
            throw new AssertionError("CorruptRecordException without a valid offset: " + e.getMessage(), e);
        }
    }

    @AfterAll
    static void printCount() {
        System.out.println("[fuzz] FormatFuzzTest executions: " + EXECUTIONS.get());
    }

    /** A small valid sealed segment (alignment 512), built once per JVM, and what it holds. */
    static final class ValidSegment {
        static final long ID = 3;
        static final java.util.Map<BlockKey, byte[]> PAYLOADS = new java.util.HashMap<>();
        static final java.util.Map<io.spillway.segments.RecordKey, Long> OFFSETS = new java.util.HashMap<>();
        static final byte[] IMAGE = build();

        private static byte[] build() {
            try (Arena arena = Arena.ofConfined()) {
                SimDisk disk = new SimDisk();
                Path dir = Path.of("/sim/valid");
                disk.mkdirs(dir);
                SimFileIO io = new SimFileIO(disk, 512, null);
                SegmentWriter w = SegmentWriter.create(io, dir, ID, 64 * 1024, 512, arena.allocate(1 << 20, 512));
                java.util.Random rnd = new java.util.Random(1);
                int k = 0;
                for (int[] sizes : new int[][] {{700, 512}, {1500}}) {
                    List<RecordSource> recs = new ArrayList<>();
                    for (int size : sizes) {
                        byte[] p = new byte[size];
                        rnd.nextBytes(p);
                        BlockKey key = BlockKey.chain(BlockKey.ROOT, new int[] {k++}, "format-fuzz");
                        PAYLOADS.put(key, p);
                        recs.add(new RecordSource(key, List.of(MemorySegment.ofArray(p)), Codec.NONE, size, RecordFlags.AUTO_COMMIT, 1L));
                    }
                    w.append(recs, () -> { });
                }
                w.sync();
                SegmentFooter f = w.seal(new boolean[] {true, true, true});
                OFFSETS.clear();
                for (SegmentFooter.Entry e : f.entries()) {
                    OFFSETS.put(e.key(), e.location().payloadOffset());
                }
                return disk.contents(new SegmentPath(ID, SegmentPath.State.SEALED).in(dir));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
