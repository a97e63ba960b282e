package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read buffers mapped straight from the kernel ({@code mmap(MAP_PRIVATE|MAP_ANONYMOUS)}), on a
 * 2 MiB boundary and advised to transparent huge pages.
 *
 * <p>Why not {@code Arena.allocate}: a direct read's request size is bounded by how many
 * physically contiguous runs its buffer has (a virtio disk takes 254 segments per request, so
 * scattered 4 KiB pages cap a request near 1 MiB however large the read), and
 * {@code Arena.allocate} zero-fills, touching every page before any read. Huge pages make each
 * 2 MiB of buffer one segment, so a 2 MiB read is one request; the kernel zero-fills lazily on
 * first use, so unused capacity costs address space, not memory. Where transparent huge pages
 * are off ({@code never}) the advice changes nothing and the buffers are ordinary pages.
 *
 * <p>The segment is bound to a shared arena whose close unmaps it: an access after
 * {@link #close()} fails with {@link IllegalStateException}, never with a fault.
 */
public final class AnonymousMemory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AnonymousMemory.class);
    /** The transparent huge page size of x86-64 and aarch64 with 4 KiB base pages. */
    public static final long HUGE_PAGE = 2L << 20;

    private final Arena arena;
    private final MemorySegment segment;

    private AnonymousMemory(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    /** Why this platform cannot map memory itself, if it cannot (callers then allocate with an arena). */
    public static Optional<String> unavailableReason() {
        return MappingSyscalls.unavailableReason();
    }

    /**
     * Maps {@code bytes} (rounded up to {@link #HUGE_PAGE}) of zeroed memory at a
     * {@link #HUGE_PAGE}-aligned address.
     *
     * @throws IOException when the kernel refuses the mapping (ENOMEM)
     */
    public static AnonymousMemory map(long bytes) throws IOException {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be > 0, got " + bytes);
        }
        long size = AlignedBuffers.alignUp(bytes, (int) HUGE_PAGE);
        // One huge page more than needed, so an aligned run of `size` bytes fits whatever address mmap picks.
        MemorySegment raw = MappingSyscalls.mmap(size + HUGE_PAGE, MappingSyscalls.MAP_PRIVATE | MappingSyscalls.MAP_ANONYMOUS, -1, 0,
                "anonymous read buffers");
        long skip = AlignedBuffers.alignUp(raw.address(), (int) HUGE_PAGE) - raw.address();
        MemorySegment aligned = raw.asSlice(skip, size);
        try {
            MappingSyscalls.madvise(aligned, MappingSyscalls.MADV_HUGEPAGE);
        } catch (NativeIOException e) {
            // EINVAL where the kernel has no transparent huge pages: ordinary pages still work.
            LOG.debug("madvise(MADV_HUGEPAGE) refused ({}); read buffers use base pages", e.getMessage());
        }
        Arena arena = Arena.ofShared();
        MemorySegment bound = aligned.reinterpret(arena, ignored -> unmap(raw));
        return new AnonymousMemory(arena, bound);
    }

    private static void unmap(MemorySegment raw) {
        try {
            MappingSyscalls.munmap(raw);
        } catch (IOException e) {
            LOG.warn("munmap of {} bytes of read buffers failed: {}", raw.byteSize(), e.getMessage());
        }
    }

    /** The memory: {@link #HUGE_PAGE}-aligned, a multiple of it long, zeroed until written. */
    public MemorySegment segment() {
        return segment;
    }

    /** Unmaps the memory; only once nothing (the kernel included) can still write into it. */
    @Override
    public void close() {
        arena.close();
    }
}
