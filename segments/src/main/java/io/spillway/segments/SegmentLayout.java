package io.spillway.segments;

/**
 * Offsets and sizes of a segment file, in one place.
 *
 * <pre>
 * 0                      segment header block (one alignment unit, {@link SegmentHeader})
 * alignment              record groups, back to back ({@link GroupHeader})
 * dataEnd                (sealed only) footer: {@link SegmentFooter} entries, then its trailer
 *                        in the last {@value SegmentFooter#TRAILER_BYTES} bytes of the file
 * </pre>
 * An open segment's blocks are reserved up to the segment size with {@code fallocate(KEEP_SIZE)},
 * so its length is the end of the last write and appends never wait for block allocation; where
 * a file system extends the length instead, the part past the last group reads as zeros. Either
 * way a scan ends cleanly there. Sealing writes the footer after the last group and truncates
 * the file there, which also returns the unused reservation.
 */
public final class SegmentLayout {

    private SegmentLayout() {
    }

    /** {@code v} rounded up to a multiple of {@code alignment} (a power of two). */
    public static long alignUp(long v, long alignment) {
        return (v + alignment - 1) & -alignment;
    }

    /** {@code v} rounded down to a multiple of {@code alignment} (a power of two). */
    public static long alignDown(long v, long alignment) {
        return v & -alignment;
    }

    /** Where the first group starts. */
    public static long firstGroupOffset(int alignment) {
        return alignment;
    }

    /** Bytes a footer listing {@code records} records takes, trailer included, padded. */
    public static long footerLength(long records, int alignment) {
        return alignUp(SegmentFooter.HEADER_BYTES + records * SegmentFooter.ENTRY_BYTES + SegmentFooter.TRAILER_BYTES, alignment);
    }

    /** Bytes of a group holding payloads of the given stored lengths. */
    public static long groupLength(int[] storedLengths, int alignment) {
        long len = GroupHeader.headerBlockLength(storedLengths.length, alignment);
        for (int s : storedLengths) {
            len += alignUp(s, alignment);
        }
        return len;
    }
}
