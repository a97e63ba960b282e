package io.spillway.gpu;

import java.util.Arrays;

/**
 * A list of copies (source address, destination address, length), built on the host and
 * consumed by DMA calls or by the copy kernel's descriptor array.
 *
 * <p>{@link #add} merges a copy into the previous one when both its source and destination
 * continue it (consecutive block ids of a contiguous layout become one large DMA), and splits
 * copies longer than the split size so that the kernel spreads one large chunk over many CTAs.
 */
final class Pieces {

    private long[] src = new long[64];
    private long[] dst = new long[64];
    private long[] len = new long[64];
    private int count;
    private final long split;

    /** @param split the longest piece; Long.MAX_VALUE for no splitting */
    Pieces(long split) {
        this.split = split;
    }

    void clear() {
        count = 0;
    }

    void add(long from, long to, long bytes) {
        if (bytes <= 0) {
            return;
        }
        if (count > 0) {
            int last = count - 1;
            if (src[last] + len[last] == from && dst[last] + len[last] == to && len[last] + bytes <= split) {
                len[last] += bytes;
                return;
            }
        }
        while (bytes > split) {
            append(from, to, split);
            from += split;
            to += split;
            bytes -= split;
        }
        append(from, to, bytes);
    }

    private void append(long from, long to, long bytes) {
        if (count == src.length) {
            src = Arrays.copyOf(src, count * 2);
            dst = Arrays.copyOf(dst, count * 2);
            len = Arrays.copyOf(len, count * 2);
        }
        src[count] = from;
        dst[count] = to;
        len[count] = bytes;
        count++;
    }

    int size() {
        return count;
    }

    long src(int i) {
        return src[i];
    }

    long dst(int i) {
        return dst[i];
    }

    long len(int i) {
        return len[i];
    }

    long totalBytes() {
        long t = 0;
        for (int i = 0; i < count; i++) {
            t += len[i];
        }
        return t;
    }
}
