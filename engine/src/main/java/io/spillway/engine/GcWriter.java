package io.spillway.engine;

import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The GC's own segment writer: it copies blocks forward (hot-block reinsertion, compaction) into
 * a segment of its own, so GC copies never queue behind user dumps and never touch the dedup
 * and in-flight bookkeeping of the dump path. Used by the GC thread only.
 *
 * <p>One move, in steps, each safe to crash after:
 * <ol>
 *   <li>read the stored bytes of each block and verify their CRC (a corrupt block is not
 *       copied: it stays where it is and its next load reports it);
 *   <li>append them as one group, keeping codec, raw length, flags and original write time;
 *   <li>fdatasync (unless durability is {@code none});
 *   <li>point the index at the copies, each only if it still points at the original
 *       ({@link Publisher#relocate}), so a concurrent delete or re-dump is never undone.
 * </ol>
 * A crash before step 4 leaves unreferenced copies, which are dead bytes (recovery never
 * overwrites an index entry that points elsewhere); after it, the originals are dead bytes until
 * their segment is evicted.
 */
final class GcWriter implements AutoCloseable {

    private final StoreContext ctx;
    private final List<Backend> backends;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging;
    private final MemorySegment readBuffer;
    private SegmentWriter segment;
    private Backend segmentBackend;
    private int nextBackend;

    GcWriter(StoreContext ctx, List<Backend> backends) {
        this.ctx = ctx;
        this.backends = backends;
        this.staging = arena.allocate(ctx.writeGroupSize(), ctx.alignment());
        this.readBuffer = arena.allocate(ctx.writeGroupSize(), ctx.alignment());
    }

    /** A block to move: its key and where the index had it. */
    record Move(RecordKey key, BlockLocation from) {
    }

    /**
     * What {@link #move} did.
     *
     * @param bytesWritten stored payload bytes appended (copies the index then refused included)
     * @param blocksMoved blocks whose index entry now points at the copy
     */
    record Moved(long bytesWritten, long blocksMoved) {

        static final Moved NOTHING = new Moved(0, 0);
    }

    /**
     * Moves blocks forward, in groups that fit the buffers.
     *
     * @param throttle charged for every byte read and written
     */
    Moved move(List<Move> moves, Throttle throttle) throws IOException, InterruptedException {
        long written = 0;
        long moved = 0;
        int i = 0;
        while (i < moves.size()) {
            if (!fitsBuffers(moves.get(i))) {
                // Larger than a GC buffer (a block may exceed write_group_size): moved alone
                // through a buffer of its own. Skipping it would lose it, since the caller evicts
                // the segment after the move.
                Moved one = moveAlone(moves.get(i), throttle);
                written += one.bytesWritten();
                moved += one.blocksMoved();
                i++;
                continue;
            }
            List<Move> group = new ArrayList<>();
            List<MemorySegment> payloads = new ArrayList<>();
            long used = 0;
            while (i < moves.size() && group.size() < GroupHeader.MAX_RECORDS && fitsBuffers(moves.get(i))) {
                Move m = moves.get(i);
                long need = SegmentLayout.alignUp(m.from().storedLength(), ctx.alignment());
                if (used + need > readBuffer.byteSize()
                        || GroupHeader.headerBlockLength(group.size() + 1, ctx.alignment()) + used + need > staging.byteSize()) {
                    break;
                }
                MemorySegment slot = readBuffer.asSlice(used, need);
                throttle.acquire(m.from().storedLength());
                if (read(m.from(), slot)) {
                    group.add(m);
                    payloads.add(slot.asSlice(0, m.from().storedLength()));
                    used += need;
                }
                i++;
            }
            Moved part = writeCharged(group, payloads, throttle);
            written += part.bytesWritten();
            moved += part.blocksMoved();
        }
        return new Moved(written, moved);
    }

    /** Whether {@code m} fits the GC's read and staging buffers as a group of one. */
    private boolean fitsBuffers(Move m) {
        long need = SegmentLayout.alignUp(m.from().storedLength(), ctx.alignment());
        return need <= readBuffer.byteSize() && GroupHeader.headerBlockLength(1, ctx.alignment()) + need <= staging.byteSize();
    }

    /** One block too large for the GC's buffers, read into (and written from) a buffer of its own. */
    private Moved moveAlone(Move m, Throttle throttle) throws IOException, InterruptedException {
        long need = SegmentLayout.alignUp(m.from().storedLength(), ctx.alignment());
        try (Arena one = Arena.ofConfined()) {
            MemorySegment slot = one.allocate(need, ctx.alignment());
            throttle.acquire(m.from().storedLength());
            if (!read(m.from(), slot)) {
                return Moved.NOTHING;
            }
            return writeCharged(List.of(m), List.of(slot.asSlice(0, m.from().storedLength())), throttle);
        }
    }

    /** Steps 2 to 4 for the blocks read, charged to the throttle. */
    private Moved writeCharged(List<Move> group, List<MemorySegment> payloads, Throttle throttle)
            throws IOException, InterruptedException {
        if (group.isEmpty()) {
            return Moved.NOTHING;
        }
        long bytes = 0;
        for (Move m : group) {
            bytes += m.from().storedLength();
        }
        throttle.acquire(bytes);
        long moved = 0;
        for (boolean b : write(group, payloads)) {
            moved += b ? 1 : 0;
        }
        return new Moved(bytes, moved);
    }

    /** Step 1: false if the segment is gone or the bytes fail their check. */
    private boolean read(BlockLocation from, MemorySegment slot) throws IOException {
        SegmentCatalog.Entry e = ctx.catalog().get(from.segmentId());
        if (e == null || !e.acquire()) {
            return false;
        }
        try {
            e.reader().readVerified(from, slot);
            return true;
        } catch (CorruptRecordException corrupt) {
            return false;
        } finally {
            e.release();
        }
    }

    /** Steps 2 to 4. */
    private boolean[] write(List<Move> group, List<MemorySegment> payloads) throws IOException {
        List<RecordSource> records = new ArrayList<>(group.size());
        int[] lengths = new int[group.size()];
        for (int j = 0; j < group.size(); j++) {
            BlockLocation f = group.get(j).from();
            records.add(new RecordSource(group.get(j).key(), List.of(payloads.get(j)), f.codec(), f.rawLength(), f.flags(),
                    f.writeTimeMillis()));
            lengths[j] = f.storedLength();
        }
        ensureSegment(lengths);
        List<BlockLocation> to = segment.append(records, () -> { });
        ctx.catalog().written(segment.segmentId(), segment.position());
        if (ctx.durability().syncsData()) {
            segment.sync();
            ctx.metrics().syncs.increment();
        }
        List<RecordKey> keys = new ArrayList<>(group.size());
        List<BlockLocation> from = new ArrayList<>(group.size());
        for (Move m : group) {
            keys.add(m.key());
            from.add(m.from());
        }
        return ctx.publisher().relocate(keys, from, to, segment.segmentId(), segment.position());
    }

    private void ensureSegment(int[] lengths) throws IOException {
        if (segment != null && !segment.failed() && segment.fits(lengths)) {
            return;
        }
        retireSegment();
        segmentBackend = backends.get(Math.floorMod(nextBackend++, backends.size()));
        long id = ctx.segmentIds().next();
        // The GC's copies take room like any segment (a shared store's space tickets); without it
        // the copy fails as on a full file system (NoSpace), and the GC evicts without copying.
        segment = ctx.catalog().admission().create(id, "no room for a GC segment in the shared store's capacity",
                () -> SegmentWriter.create(segmentBackend.io(), segmentBackend.dir(), id, ctx.segmentSize(), ctx.alignment(), staging));
        ctx.catalog().add(id, segmentBackend, SegmentPath.State.OPEN);
    }

    private void retireSegment() throws IOException {
        if (segment == null) {
            return;
        }
        SegmentWriter s = segment;
        segment = null;
        if (s.failed()) {
            Retirement.leaveToRecovery(ctx, s, "a GC write failed");
        } else if (s.recordCount() == 0) {
            Retirement.discardEmpty(ctx, segmentBackend, s);
        } else {
            ctx.index().markSealed(s.segmentId()); // before the liveness is read, as in AppendWorker.retire
            Retirement.seal(ctx, s, ctx.index().pointsAt(s.entries()));
        }
    }

    /** Id of the segment the GC is writing, or -1: never a victim. */
    long activeSegmentId() {
        SegmentWriter s = segment;
        return s == null ? -1 : s.segmentId();
    }

    @Override
    public void close() throws IOException {
        try {
            retireSegment();
        } finally {
            arena.close();
        }
    }
}
