package io.spillway.cli.bench;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.index.MetaKeys;
import io.spillway.recovery.RebuildIndex;
import io.spillway.recovery.StoreRecovery;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The recovery times of issue 3, each in a fresh directory:
 * <ul>
 *   <li>a clean open of a store whose index holds {@code keys} blocks (filled directly, as
 *       {@link LookupBenchmark} does), and how much of it is the index's own open (its KeyTable
 *       fill);
 *   <li>a crash open with one unsealed segment of {@code unsealedBytes} (written with the
 *       segment writer and synced, its blocks indexed, never sealed), against a plain sequential
 *       read of the same file with the same IO (O_DIRECT where the file system allows it), timed
 *       before and after the open so the page cache favours neither;
 *   <li>rebuild-index over {@code segments} sealed segments of {@code recordsPerSegment} records
 *       each (footers only).
 * </ul>
 */
public final class RecoveryBenchmark {

    /** Times in seconds. */
    public record Result(double cleanOpen, double indexOpen, double crashOpen, double crashRecovery, double readBefore, double readAfter,
                         long unsealedBytes, boolean directIo, double rebuild, long rebuiltEntries) {
    }

    private RecoveryBenchmark() {
    }

    public static Result run(Path dir, long keys, long unsealedBytes, int segments, int recordsPerSegment) throws IOException {
        double[] clean = cleanOpen(dir.resolve("clean"), keys);
        double[] crash = crashOpen(dir.resolve("crash"), unsealedBytes);
        double[] rebuild = rebuild(dir.resolve("rebuild"), segments, recordsPerSegment);
        return new Result(clean[0], clean[1], crash[0], crash[5], crash[1], crash[2], unsealedBytes, crash[3] != 0, rebuild[0], (long) rebuild[1]);
    }

    private static double[] cleanOpen(Path dir, long keys) throws IOException {
        StoreConfig config = StoreConfig.builder().storageBackend(dir.resolve("data")).writeGroupSize(ByteSize.ofMiB(1)).build();
        try (BlockIndex index = BlockIndex.open(config.indexPath(), new IndexOptions(config.indexCacheSize().bytes(), true))) {
            BlockLocation loc = new BlockLocation(1, 4096, 2 << 20, 2 << 20, 0, Codec.NONE, 1, 0);
            for (long done = 0; done < keys; done += 10_000) {
                try (BlockIndex.Batch batch = index.batch()) {
                    for (long i = done; i < Math.min(keys, done + 10_000); i++) {
                        batch.put(key(i), loc);
                    }
                    index.write(batch, false);
                }
            }
            index.flush();
            LookupBenchmark.markCleanWithPlaceholder(config, index); // synthetic locations
        }
        long t0 = System.nanoTime();
        try (BlockIndex index = BlockIndex.open(config.indexPath(), new IndexOptions(config.indexCacheSize().bytes(), false))) {
            index.flush();
        }
        double indexOpen = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        try (SegmentStore store = SegmentStore.open(config)) {
            double open = (System.nanoTime() - t0) / 1e9;
            if (store.lookupPrefix(List.of(key(0), key(keys - 1))) != 2) {
                throw new IllegalStateException("the indexed keys are not visible after the open");
            }
            return new double[] {open, indexOpen};
        }
    }

    private static double[] crashOpen(Path dir, long bytes) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        int block = 2 << 20;
        int perGroup = 8;
        long segmentSize = Math.max(ByteSize.ofMiB(64).bytes(), bytes * 2);
        StoreConfig config = StoreConfig.builder().storageBackend(data).segmentSize(ByteSize.ofBytes(segmentSize))
                .writeGroupSize(ByteSize.ofMiB(16)).build();
        FileIO io = DirectIoProbe.forDirectory(data, true, 4096);
        Path file = new SegmentPath(1, SegmentPath.State.OPEN).in(data);
        try (Arena arena = Arena.ofShared();
             BlockIndex index = BlockIndex.open(config.indexPath(), new IndexOptions(64L << 20, true))) {
            index.putMeta(MetaKeys.ALIGNMENT, 4096);
            index.putMeta(MetaKeys.NEXT_SEGMENT_ID, 2);
            MemorySegment payload = arena.allocate(block, 4096);
            SplittableRandom r = new SplittableRandom(1);
            for (long i = 0; i < block; i += 8) {
                payload.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
            }
            try (SegmentWriter w = SegmentWriter.create(io, data, 1, segmentSize, 4096, arena.allocate(ByteSize.ofMiB(17).bytes(), 4096))) {
                long n = 0;
                while (w.position() + (long) perGroup * block + (1 << 20) <= bytes) {
                    List<RecordSource> group = new ArrayList<>();
                    for (int g = 0; g < perGroup; g++) {
                        group.add(new RecordSource(key(n++), List.of(payload), Codec.NONE, block, RecordFlags.AUTO_COMMIT, 0));
                    }
                    List<BlockLocation> locs = w.append(group, () -> { });
                    w.sync();
                    try (BlockIndex.Batch b = index.batch()) {
                        for (int g = 0; g < perGroup; g++) {
                            b.put(group.get(g).key(), locs.get(g));
                        }
                        b.watermark(1, w.position());
                        index.write(b, false);
                    }
                }
            }
            index.flush();
        }
        long size = Files.size(file);
        double before = sequentialRead(io, file);
        long t0 = System.nanoTime();
        try (SegmentStore store = SegmentStore.open(config)) {
            double open = (System.nanoTime() - t0) / 1e9;
            if (store.recoveryReport().openRecovered() != 1) {
                throw new IllegalStateException("expected one open segment to recover: " + store.recoveryReport());
            }
            Path sealed = new SegmentPath(1, SegmentPath.State.SEALED).in(data);
            double after = sequentialRead(io, sealed);
            return new double[] {open, before, after, io.directIo() ? 1 : 0, size, store.recoveryReport().millis() / 1e3};
        }
    }

    /** Reads the whole file front to back in 16 MiB reads with {@code io}; seconds. */
    static double sequentialRead(FileIO io, Path file) throws IOException {
        try (Arena arena = Arena.ofConfined(); StoreFile f = io.openRead(file)) {
            MemorySegment buf = arena.allocate(16 << 20, 4096);
            long size = f.size();
            long t0 = System.nanoTime();
            for (long off = 0; off < size; ) {
                long n = f.read(buf, off);
                if (n <= 0) {
                    break;
                }
                off += n;
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static double[] rebuild(Path dir, int segments, int records) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        FileIO io = DirectIoProbe.forDirectory(data, false, 4096);
        int block = 4096;
        long n = 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment payload = arena.allocate(block, 4096);
            MemorySegment staging = arena.allocate(4L << 20, 4096);
            for (int s = 1; s <= segments; s++) {
                try (SegmentWriter w = SegmentWriter.create(io, data, s, 64L << 20, 4096, staging)) {
                    for (int i = 0; i < records; i += 32) {
                        List<RecordSource> group = new ArrayList<>();
                        for (int g = 0; g < Math.min(32, records - i); g++) {
                            group.add(new RecordSource(key(n++), List.of(payload), Codec.NONE, block, RecordFlags.AUTO_COMMIT, 0));
                        }
                        w.append(group, () -> { });
                    }
                    w.sync();
                    boolean[] live = new boolean[w.recordCount()];
                    Arrays.fill(live, true);
                    w.seal(live);
                }
            }
        }
        long t0 = System.nanoTime();
        RebuildIndex.Result r = RebuildIndex.run(data, data.resolve("index"), StoreRecovery.Listener.NONE);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (r.entries() != n) {
            throw new IllegalStateException("rebuilt " + r.entries() + " entries of " + n);
        }
        return new double[] {secs, n};
    }

    private static BlockKey key(long i) {
        return BlockKey.chain(BlockKey.ROOT, new int[] {(int) (i >>> 32), (int) i}, "recovery-bench");
    }
}
