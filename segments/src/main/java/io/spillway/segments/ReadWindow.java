package io.spillway.segments;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The last aligned run of a file read, reused while the next range asked for lies inside it.
 * Readers that go through a segment in file order (the padding check, a salvage scan) ask for
 * many small ranges, headers and padding regions, several of which share one IO unit: one read
 * then serves them all, and every read starts and ends on the unit, as O_DIRECT requires.
 */
public final class ReadWindow {

    /** Where the bytes come from: fills {@code dst} from {@code offset}, short only at the end of the file. */
    @FunctionalInterface
    public interface Source {
        long read(MemorySegment dst, long offset) throws IOException;
    }

    private final Source source;
    private final Arena arena;
    private final int unit;
    private final long minRead;
    private MemorySegment buf;
    private long start;
    private long end;

    /**
     * @param arena where the window's buffer is allocated (it lives as long as the arena)
     * @param unit the alignment of every read (a power of two)
     * @param minRead the least one read fetches, for a reader that will ask for what follows
     */
    public ReadWindow(Source source, Arena arena, int unit, long minRead) {
        this.source = source;
        this.arena = arena;
        this.unit = unit;
        this.minRead = minRead;
    }

    /** The file's bytes [off, off + len), shorter where the file ends first (empty past its end). */
    public MemorySegment bytes(long off, long len) throws IOException {
        if (buf == null || off < start || off + len > end) {
            long s = SegmentLayout.alignDown(off, unit);
            long want = Math.max(minRead, SegmentLayout.alignUp(off + len, unit) - s);
            if (buf == null || buf.byteSize() < want) {
                buf = arena.allocate(want, unit);
            }
            start = s;
            end = s + source.read(buf.asSlice(0, want), s);
        }
        return buf.asSlice(off - start, Math.max(0, Math.min(len, end - off)));
    }
}
