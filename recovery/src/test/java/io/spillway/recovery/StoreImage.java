package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordKey;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.AlignedBuffers;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.FileTrees;
import io.spillway.testkit.Payloads;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A store directory as the engine's write path leaves it, built from segments and index alone,
 * so that recovery is tested without the engine. It follows the engine's protocol:
 * <ol>
 *   <li>A segment id is handed out by persisting the next one in the index before the segment
 *       file is created (the engine's {@code SegmentIds}).
 *   <li>A dump is one group: appended, fdatasynced, then its entries and the segment's new
 *       watermark written in one synced index batch (data durable before its index entry).
 *   <li>A segment that a group no longer fits in is sealed: marked sealed in the index first,
 *       then its footer written with the liveness the index holds (the engine's
 *       {@code AppendWorker} retirement).
 *   <li>{@link #close} seals the open segment and writes the clean-shutdown marker;
 *       {@link #crash} leaves it {@code .open} and the marker unwritten, as a kill -9 does.
 * </ol>
 * Block bytes are {@link Payloads#content}, so a test verifies a load from the key alone.
 */
final class StoreImage implements AutoCloseable {

    static final int ALIGN = 4096;
    /** The index's block cache: small, these stores are. */
    static final long INDEX_CACHE = 8L << 20;

    private final Path data;
    private final FileIO io;
    private final long segmentSize;
    private final BlockIndex index;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment staging;
    private SegmentWriter writer;
    private boolean closed;

    private StoreImage(Path data, FileIO io, long segmentSize, BlockIndex index) {
        this.data = data;
        this.io = io;
        this.segmentSize = segmentSize;
        this.index = index;
        this.staging = AlignedBuffers.allocate(arena, 1 << 20, ALIGN);
    }

    /** A new, empty store in {@code data} with the IO the engine would pick there. */
    static StoreImage create(Path data, long segmentSize) throws IOException {
        Files.createDirectories(data);
        return new StoreImage(data, ioFor(data), segmentSize, IndexOpener.open(indexDir(data), INDEX_CACHE).index());
    }

    /** The IO the engine picks for {@code data}: O_DIRECT where its file system takes it. */
    static FileIO ioFor(Path data) {
        return DirectIoProbe.forDirectory(data, true, ALIGN);
    }

    /** A recovered store: its index (closed with it) and what recovery did. */
    record Recovered(IndexOpener.Opened opened, StoreRecovery.Report report) implements AutoCloseable {
        BlockIndex index() {
            return opened.index();
        }

        @Override
        public void close() {
            opened.index().close();
        }
    }

    /** What an open does before any writer starts: open (or replace) the index, then recover with the GC's hook. */
    static Recovered recover(Path data, FileIO io) throws IOException {
        IndexOpener.Opened opened = IndexOpener.open(indexDir(data), INDEX_CACHE);
        try {
            StoreRecovery.Report r = StoreRecovery.run(List.of(new StoreRecovery.Directory(data, io)), opened.index(),
                    new EvictionRecovery(), StoreRecovery.Listener.NONE);
            return new Recovered(opened, r);
        } catch (IOException | RuntimeException e) {
            opened.index().close();
            throw e;
        }
    }

    /** {@link #recover(Path, FileIO)} with {@link #ioFor}. */
    static Recovered recover(Path data) throws IOException {
        return recover(data, ioFor(data));
    }

    /** Where a store keeps its index: inside its (first) data directory. */
    static Path indexDir(Path data) {
        return data.resolve("index");
    }

    /** Copies the tree at {@code from} to {@code to}, replacing files already there. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    FileIO io() {
        return io;
    }

    BlockIndex index() {
        return index;
    }

    /**
     * Dumps {@code keys} with auto-commit, {@code size} bytes each, as one group, and publishes them.
     *
     * @return where the group ends in its segment
     */
    long dump(List<? extends RecordKey> keys, int size) throws IOException {
        return append(keys, size, false);
    }

    /**
     * Writes indexed {@code keys} again and points the index at the new copies, removing the old
     * entries in the same batch: what the GC's copy-forward leaves before it evicts a segment.
     */
    void relocate(List<? extends RecordKey> keys, int size) throws IOException {
        append(keys, size, true);
    }

    private long append(List<? extends RecordKey> keys, int size, boolean replace) throws IOException {
        List<BlockLocation> old = replace ? index.getAll(keys) : null;
        SegmentWriter w = writerFor(keys.size(), size);
        List<RecordSource> records = new ArrayList<>();
        for (RecordKey k : keys) {
            records.add(new RecordSource(k, List.of(Payloads.content(arena, k, size)), Codec.NONE, size,
                    RecordFlags.AUTO_COMMIT, System.currentTimeMillis()));
        }
        List<BlockLocation> locs = w.append(records, () -> { });
        w.sync();
        try (BlockIndex.Batch b = index.batch()) {
            for (int i = 0; i < keys.size(); i++) {
                if (replace) {
                    b.remove(keys.get(i), old.get(i));
                }
                b.put(keys.get(i), locs.get(i));
            }
            b.watermark(w.segmentId(), w.position());
            index.write(b, true);
        }
        return w.position();
    }

    /** The open segment's file (after a first dump). */
    Path openSegment() {
        return writer.file();
    }

    /** A RocksDB checkpoint of the index as it is now: what a stale index copy holds. */
    void checkpointIndex(Path target) throws IOException {
        index.checkpoint(target);
    }

    /** A kill -9: the open segment stays {@code .open}, no clean-shutdown marker. */
    void crash() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            index.close();
            arena.close();
        }
    }

    /** A clean close: the open segment sealed, then the clean-shutdown marker. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (writer != null) {
            seal(writer);
        }
        StoreRecovery.markClean(index);
        crash();
    }

    private SegmentWriter writerFor(int records, int size) throws IOException {
        int[] lengths = new int[records];
        Arrays.fill(lengths, size);
        if (writer != null && writer.fits(lengths)) {
            return writer;
        }
        if (writer != null) {
            seal(writer);
        }
        long id = index.getMeta(MetaKeys.NEXT_SEGMENT_ID).orElse(1L);
        index.putMeta(MetaKeys.NEXT_SEGMENT_ID, id + 1);
        writer = SegmentWriter.create(io, data, id, segmentSize, ALIGN, staging);
        return writer;
    }

    private void seal(SegmentWriter w) throws IOException {
        index.markSealed(w.segmentId());
        w.seal(index.pointsAt(w.entries()));
    }
}
