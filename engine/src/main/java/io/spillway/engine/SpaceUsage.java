package io.spillway.engine;

import io.spillway.segments.CommitLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The space the store takes, as the capacity and the GC's watermarks count it: the segments'
 * data ({@link SegmentCatalog#dataBytes}) plus the index directory and the commit log. RocksDB's
 * files (SSTs, WAL, manifest) grow with the number of blocks and between compactions, and on a
 * small file system they can take a large share of it; left out, the store would exceed its
 * capacity by them, and a file system sized to the capacity would fill before the GC starts.
 *
 * <p>The index's size is found by listing its directory, so it is cached for {@value #REFRESH_MS}
 * ms: callers (a writer starting a segment, the GC's passes) ask often, the size moves slowly.
 * A file RocksDB deletes while it is listed is skipped.
 */
final class SpaceUsage {

    static final long REFRESH_MS = 1000;

    private final SegmentCatalog catalog;
    private final Path indexDir;
    private final Path commitLog;
    private volatile long metadata = -1;
    private volatile long measuredAt;
    private volatile LongSupplier dataFloor = () -> 0;

    /** @param logDir the directory of the commit log (the first backend) */
    SpaceUsage(SegmentCatalog catalog, Path indexDir, Path logDir) {
        this.catalog = catalog;
        this.indexDir = indexDir;
        this.commitLog = logDir.resolve(CommitLog.FILE_NAME);
    }

    /** Bytes the store takes: segment data (at least {@link #dataFloor}) plus index and commit log. */
    long usedBytes() {
        return Math.max(catalog.dataBytes(), dataFloor.getAsLong()) + metadataBytes();
    }

    /**
     * A floor under the segment data the catalog counts: in a shared store, the GC owner's count
     * of the space tickets taken, which sees segments its catalog does not (other writers' open
     * ones, sealed ones not discovered yet).
     */
    void dataFloor(LongSupplier bytes) {
        this.dataFloor = bytes;
    }

    /** Bytes of the index directory and the commit log, at most {@value #REFRESH_MS} ms old. */
    long metadataBytes() {
        long now = System.nanoTime();
        if (metadata < 0 || now - measuredAt > TimeUnit.MILLISECONDS.toNanos(REFRESH_MS)) {
            metadata = sizeOf(indexDir) + sizeOf(commitLog);
            measuredAt = now;
        }
        return metadata;
    }

    private static long sizeOf(Path p) {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(p)) {
            return files.mapToLong(SpaceUsage::fileSize).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0; // listed while RocksDB renamed or deleted a file: measured again next time
        }
    }

    private static long fileSize(Path f) {
        try {
            return Files.isRegularFile(f) ? Files.size(f) : 0;
        } catch (NoSuchFileException gone) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
