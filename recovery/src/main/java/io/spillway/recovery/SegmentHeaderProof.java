package io.spillway.recovery;

import io.spillway.segments.Checksums;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Rebuilds a sealed segment's damaged header block from what the rest of the file proves.
 *
 * <p>The header holds four facts: the magic and version (constants), the segment id, the
 * alignment, and the creation time. The id is the one in the file's name; a candidate alignment
 * is accepted only when the file checks out under it, in this order of evidence:
 * <ol>
 *   <li>the footer reads (trailer and body CRCs, which cover the segment id and a dataEnd on
 *       that alignment), and its first record's group header, one alignment unit into the file,
 *       checks out too (a footer alone cannot tell 512 from 4096 when both round it alike);
 *   <li>without a readable footer: the first group header checks out there (its CRC covers the
 *       segment id, its own offset, and a header block length on that alignment), or the first
 *       record header after it does, with its payload on that alignment.
 * </ol>
 * Candidates are tried in order: the alignment the index records for the store, then every
 * alignment the format allows. A footer that lists no records proves an alignment only when it
 * is the index's. The creation time (informational; {@code inspect} shows it) is restored
 * exactly when one bit of the header's fields flipped (the one flip that makes the stored CRC
 * match, with the proven fields); else it is kept when the damage spared the magic, version,
 * alignment and id fields, else it becomes the earliest write time of the footer's records, a
 * bound the true value is below.
 */
final class SegmentHeaderProof {

    /** A proven header: the block to write at offset 0, and what proved it. */
    record Proof(byte[] block, int alignment, String evidence) {
    }

    /** Where the header's CRC32C of the bytes before it sits ({@link SegmentHeader}'s format). */
    private static final int HEADER_CRC_AT = 60;
    private static final int MIN_ALIGNMENT = 512;
    private static final int MAX_ALIGNMENT = 1 << 20;

    private SegmentHeaderProof() {
    }

    /**
     * The header that segment file {@code file} of segment {@code segmentId} proves, or empty if
     * nothing in it does (no footer and no record checks out under any alignment).
     *
     * @param storeAlignment the alignment the index records for the store, if known
     */
    static Optional<Proof> prove(FileIO io, Path file, long segmentId, OptionalInt storeAlignment) throws IOException {
        Set<Integer> candidates = new LinkedHashSet<>();
        storeAlignment.ifPresent(candidates::add);
        for (int a = MIN_ALIGNMENT; a <= MAX_ALIGNMENT; a <<= 1) {
            candidates.add(a);
        }
        ByteBuffer damaged = readHead(io, file);
        for (int a : candidates) {
            SegmentPatch patch = new SegmentPatch();
            patch.write(0, new SegmentHeader(segmentId, a, 0).encodeBlock());
            FileIO view = patch.view(io, file);
            Optional<SegmentFooter> footer = footerUnder(view, file, segmentId);
            String evidence = null;
            if (footer.isPresent() && footer.get().entries().isEmpty()) {
                evidence = storeAlignment.isPresent() && storeAlignment.getAsInt() == a ? "an empty footer and the store's alignment"
                        : null;
            } else if (footer.isPresent() && firstGroupChecksOut(view, file, segmentId, a)) {
                evidence = "the footer and the first group header";
            } else if (footer.isEmpty() && firstGroupChecksOut(view, file, segmentId, a)) {
                evidence = "the first group's headers (no readable footer)";
            }
            if (evidence != null) {
                long created = createdMillis(damaged, segmentId, a, footer.orElse(null));
                return Optional.of(new Proof(new SegmentHeader(segmentId, a, created).encodeBlock(), a, evidence));
            }
        }
        return Optional.empty();
    }

    private static Optional<SegmentFooter> footerUnder(FileIO view, Path file, long segmentId) throws IOException {
        try (SegmentReader reader = SegmentReader.open(view, file, segmentId)) {
            return Optional.of(reader.readFooter());
        } catch (CorruptRecordException e) {
            return Optional.empty();
        }
    }

    /** Whether the group header at the first group offset, or else the first record header, checks out at alignment {@code a}. */
    private static boolean firstGroupChecksOut(FileIO view, Path file, long segmentId, int a) throws IOException {
        long at = SegmentLayout.firstGroupOffset(a);
        int len = GroupHeader.BYTES + RecordHeader.BYTES;
        try (StoreFile f = view.openRead(file); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(len);
            if (f.read(buf, at) < len) {
                return false;
            }
            ByteBuffer b = buf.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            try {
                if (GroupHeader.decode(b, segmentId, at, Long.MAX_VALUE / 4, a) != null) {
                    return true;
                }
            } catch (CorruptRecordException e) {
                // the group header is damaged too: its first record header may still prove the alignment
            }
            try {
                RecordHeader r = RecordHeader.decode(b.position(GroupHeader.BYTES), at + GroupHeader.BYTES, Long.MAX_VALUE / 4);
                return r.payloadOffset() % a == 0 && r.payloadOffset() >= at + GroupHeader.headerBlockLength(1, a);
            } catch (CorruptRecordException e) {
                return false;
            }
        }
    }

    /** The first bytes of the damaged header, zeros where the file is shorter. */
    private static ByteBuffer readHead(FileIO io, Path file) throws IOException {
        try (StoreFile f = io.openRead(file); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(io.alignment(), 4096), 4096);
            f.read(buf, 0);
            ByteBuffer b = ByteBuffer.allocate(SegmentHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.put(buf.asSlice(0, SegmentHeader.BYTES).asByteBuffer());
            return b.flip();
        }
    }

    /** See the class comment. */
    private static long createdMillis(ByteBuffer damaged, long segmentId, int alignment, SegmentFooter footer) {
        byte[] head = new byte[HEADER_CRC_AT];
        damaged.get(0, head);
        int storedCrc = damaged.getInt(HEADER_CRC_AT);
        // One flipped bit in the fields is found exactly: the CRC32C of 60 bytes tells every single-bit error apart.
        for (int bit = 0; bit < head.length * 8; bit++) {
            head[bit >> 3] ^= (byte) (1 << (bit & 7));
            ByteBuffer candidate = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
            if (Checksums.crc32c(head, 0, head.length) == storedCrc && agrees(candidate, segmentId, alignment)) {
                return candidate.getLong(24);
            }
            head[bit >> 3] ^= (byte) (1 << (bit & 7));
        }
        if (agrees(damaged, segmentId, alignment)) {
            return damaged.getLong(24); // the damage is in the time, the reserved bytes or the CRC
        }
        if (footer == null || footer.entries().isEmpty()) {
            return 0;
        }
        return footer.entries().stream().mapToLong(e -> e.location().writeTimeMillis()).min().orElse(0);
    }

    /** Whether a header's fixed fields are those the proof found. */
    private static boolean agrees(ByteBuffer h, long segmentId, int alignment) {
        return h.getLong(0) == SegmentHeader.MAGIC && h.getInt(8) == SegmentHeader.VERSION && h.getInt(12) == alignment
                && h.getLong(16) == segmentId;
    }
}
