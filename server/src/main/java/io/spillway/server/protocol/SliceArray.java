package io.spillway.server.protocol;

import java.util.Arrays;

/**
 * Where each block of a dump or load lives: a slice of a registered shared-memory region. On the
 * wire each slice is 16 bytes: region u32, length u32, offset u64 (little-endian).
 *
 * @param regions the region id of each block, as REGISTER_REGION returned it
 * @param lengths each block's length in bytes
 * @param offsets each block's byte offset in its region
 */
public record SliceArray(int[] regions, int[] lengths, long[] offsets) {

    public SliceArray {
        if (regions.length != lengths.length || regions.length != offsets.length) {
            throw new IllegalArgumentException("slice arrays differ in length: " + regions.length + ", " + lengths.length
                    + ", " + offsets.length);
        }
    }

    /** {@code count} slices of {@code length} bytes in {@code region}, back to back from {@code firstOffset}. */
    public static SliceArray rows(int region, int count, int length, long firstOffset) {
        int[] regions = new int[count];
        int[] lengths = new int[count];
        long[] offsets = new long[count];
        Arrays.fill(regions, region);
        Arrays.fill(lengths, length);
        for (int i = 0; i < count; i++) {
            offsets[i] = firstOffset + (long) i * length;
        }
        return new SliceArray(regions, lengths, offsets);
    }

    public int count() {
        return regions.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SliceArray s && Arrays.equals(regions, s.regions) && Arrays.equals(lengths, s.lengths)
                && Arrays.equals(offsets, s.offsets);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(regions) + Arrays.hashCode(lengths)) + Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        return "SliceArray[" + count() + " slices]";
    }
}
