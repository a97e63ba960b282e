package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One record of a {@link SegmentStore} with its segment pinned, for a reader outside the store's
 * load path (the GPU module's direct-to-device reads). It takes the same reference a load takes
 * on the segment's catalog entry, so the GC's eviction treats it exactly like a load in flight.
 *
 * <p>The protocol:
 * <ol>
 *   <li>{@link SegmentStore#pin}: the index gives the key's location (an unreadable index value
 *       is a miss, as for a load); an expired record (older than {@code ttl}) is a miss; then the
 *       segment's catalog entry is acquired. A segment the GC has already retired refuses the
 *       reference, and the pin is a miss: the key was being evicted.
 *   <li>While pinned, the segment file is not deleted: an eviction that reaches its drain step
 *       waits for the reference to go, for at most {@code timeout_ms}, as it waits for loads. The
 *       file may be renamed meanwhile (sealed {@code .open} to {@code .seg}, or {@code .seg} to
 *       {@code .deleting} by an eviction that began before the pin), so a reader that opens it by
 *       name ({@link #file()}) must treat a vanished name as a reason to read through
 *       {@link #readVerified} instead, which uses the descriptor the store's loads share.
 *   <li>{@link #close()} drops the reference; a waiting eviction then deletes the file.
 * </ol>
 * Hold a pin for the reads only: past {@code timeout_ms} the eviction deletes the file anyway
 * and closes the shared descriptor, after which {@link #readVerified} fails with an IOException
 * (a descriptor the caller opened itself keeps the data readable on a local file system).
 *
 * <p>Pinning counts as an access of the record for the GC's heat and reinsertion figures, as a
 * load does. A CRC mismatch is reported to the caller; the pin does not unindex the block.
 *
 * <p>Reads may come from several threads at once (positional reads on a shared descriptor).
 * {@link #close()} is idempotent and must come after the last read.
 */
public final class PinnedRecord implements AutoCloseable {

    private final RecordKey key;
    private final BlockLocation location;
    private final SegmentCatalog.Entry segment;
    private final int alignment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PinnedRecord(RecordKey key, BlockLocation location, SegmentCatalog.Entry segment) {
        this.key = key;
        this.location = location;
        this.segment = segment;
        this.alignment = segment.backend.io().alignment();
    }

    /** Step 1 of the protocol; see {@link SegmentStore#pin}. */
    static Optional<PinnedRecord> pin(StoreContext ctx, RecordKey key) throws IOException {
        BlockLocation loc = ctx.index().getAll(List.of(key)).getFirst();
        if (loc == null) {
            return Optional.empty();
        }
        long ttlMillis = ctx.config().ttl().toMillis();
        if (ttlMillis > 0 && loc.writeTimeMillis() < System.currentTimeMillis() - ttlMillis) {
            return Optional.empty();
        }
        SegmentCatalog.Entry entry = ctx.catalog().get(loc.segmentId());
        if (entry == null || !entry.acquire()) {
            return Optional.empty();
        }
        ctx.catalog().recordHit(entry, loc.payloadOffset());
        return Optional.of(new PinnedRecord(key, loc, entry));
    }

    public RecordKey key() {
        return key;
    }

    /** Where the record's payload is, and its length and CRC32C. */
    public BlockLocation location() {
        return location;
    }

    /**
     * The segment file's name now. It can change while pinned (see step 2 of the protocol), so
     * opening it may fail with {@link java.nio.file.NoSuchFileException}; the data stays readable
     * through {@link #readVerified}.
     */
    public Path file() {
        requireOpen();
        return segment.path();
    }

    /**
     * The size a destination of {@link #readVerified} must have: the stored length rounded up to
     * the store's IO alignment (direct IO reads whole aligned blocks).
     */
    public long readLength() {
        return SegmentLayout.alignUp(location.storedLength(), alignment);
    }

    /**
     * Reads the stored payload into {@code dst} and verifies its CRC32C, through the segment's
     * shared reader (the descriptor and IO mode, O_DIRECT or buffered, of the store's own loads).
     *
     * @param dst native memory aligned to the store's IO alignment, at least {@link #readLength()}
     *     bytes; the payload is its first {@code location().storedLength()} bytes
     * @throws io.spillway.segments.CorruptRecordException when the checksum fails or the file is
     *     short there
     * @throws IllegalStateException after {@link #close()}
     */
    public void readVerified(MemorySegment dst) throws IOException {
        requireOpen();
        if (dst.byteSize() < readLength()) {
            throw new IllegalArgumentException("destination of " + dst.byteSize() + " bytes is shorter than the " + readLength()
                    + " bytes the read needs (stored length " + location.storedLength() + " aligned to " + alignment + ")");
        }
        segment.reader().readVerified(location, dst);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the pin of block " + key.shortHex() + " is closed");
        }
    }

    /** Step 3: releases the segment. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            segment.release();
        }
    }

    @Override
    public String toString() {
        return "PinnedRecord[" + key.shortHex() + " in segment " + location.segmentId() + " at " + location.payloadOffset() + "]";
    }
}
