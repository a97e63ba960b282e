package io.spillway.engine.shared;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.recovery.EvictionRecovery;
import io.spillway.recovery.StoreRecovery;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.FileTrees;
import io.spillway.segments.io.StoreLock;
import io.spillway.segments.io.StoreLockedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adopting a dead writer's directory, so that every block it acknowledged durable becomes
 * visible to all.
 *
 * <p>Protocol (run by a peer's maintenance thread; the directory lock and atomic create are the
 * only coordination):
 * <ol>
 *   <li>The caller saw writer W's lease unchanged for {@code lease_timeout} by its own monotonic
 *       clock, and W has no {@code ADOPTED} file.
 *   <li>Take {@code writers/W/LOCK} in every backend. If one is held, W's process is alive (a
 *       paused or slow process keeps its lock; the kernel drops it on death, even on kill -9):
 *       release what was taken and stop, having written nothing. W is looked at again after
 *       another timeout. (A lease can look stalled when a round is slow or a FUSE client serves
 *       a cached copy; the lock is what makes that harmless.)
 *   <li>Create {@code writers/W/ADOPTED} exclusively, naming the adopter: only one create
 *       succeeds, so even where the file system's locks are unreliable, one adopter goes on. W,
 *       should it come back, sees it and never writes there again: a running W stops and takes a
 *       new id, a restarting one starts under a new id.
 *   <li>Run startup recovery ({@link StoreRecovery}) over W's directories against a scratch
 *       index on local disk: each {@code .open} segment is scanned and its valid prefix sealed
 *       (every record that passed its CRC, so every block W acknowledged durable), half-done
 *       evictions are finished.
 *   <li>Append a "sealed" record for every sealed segment in W's directories to W's manifest
 *       (torn tail cut first): the adopter is now its one appender.
 *   <li>Release the locks, delete the scratch index. W's segments are ordinary sealed segments
 *       now: every peer ingests them at its next refresh, the GC owner evicts them by its policy
 *       (appending "evicted" to W's manifest) and removes W's directory once it holds none.
 * </ol>
 * A crash of the adopter after step 3 leaves {@code ADOPTED} with W's lock free: the GC owner
 * redoes steps 4 to 6 ({@link #finish}), which are idempotent.
 */
final class Adoption {

    private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);
    static final String MARKER = "ADOPTED";

    /** @param sealed how many segments W had sealed after step 4 */
    record Result(String writer, int sealed, int openRecovered, long millis) {
    }

    private Adoption() {
    }

    /** Steps 2 to 6; null when W's process is alive or another peer adopted it first. */
    static Result adopt(List<Path> roots, List<FileIO> ios, String writer, String adopter, Path scratchBase) throws IOException {
        long t0 = System.nanoTime();
        List<StoreLock> locks = lockAll(roots, writer);
        if (locks == null) {
            return null;
        }
        try {
            if (!Layout.createExclusive(Layout.writer(roots.getFirst(), writer).resolve(MARKER), adopter + "\n")) {
                return null;
            }
            return recover(roots, ios, writer, scratchBase, t0);
        } finally {
            unlock(locks);
        }
    }

    /** Steps 4 to 6 again, for an adoption whose adopter died after step 3; null when W's lock is held. */
    static Result finish(List<Path> roots, List<FileIO> ios, String writer, Path scratchBase) throws IOException {
        List<StoreLock> locks = lockAll(roots, writer);
        if (locks == null) {
            return null;
        }
        try {
            return recover(roots, ios, writer, scratchBase, System.nanoTime());
        } finally {
            unlock(locks);
        }
    }

    /** Step 2: every backend's lock of W, or null (nothing held) when one is taken. */
    private static List<StoreLock> lockAll(List<Path> roots, String writer) throws IOException {
        List<StoreLock> locks = new ArrayList<>();
        for (Path root : roots) {
            Path dir = Layout.writer(root, writer);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try {
                locks.add(StoreLock.acquire(dir));
            } catch (StoreLockedException e) {
                LOG.info("writer {}: its lease looks stalled but its process holds {} ({}); not adopting it", writer, dir,
                        e.getMessage());
                unlock(locks);
                return null;
            }
        }
        return locks;
    }

    private static void unlock(List<StoreLock> locks) throws IOException {
        for (StoreLock l : locks) {
            l.close();
        }
    }

    /** Steps 4 and 5, with W's locks held. */
    private static Result recover(List<Path> roots, List<FileIO> ios, String writer, Path scratchBase, long t0) throws IOException {
        Path scratch = scratchBase.resolveSibling(scratchBase.getFileName() + ".adopt-" + writer);
        try {
            List<StoreRecovery.Directory> dirs = new ArrayList<>();
            for (int b = 0; b < roots.size(); b++) {
                Path dir = Layout.writer(roots.get(b), writer);
                if (Files.isDirectory(dir)) {
                    dirs.add(new StoreRecovery.Directory(dir, ios.get(b)));
                }
            }
            FileTrees.deleteRecursively(scratch);
            StoreRecovery.Report report;
            try (BlockIndex index = BlockIndex.open(scratch, new IndexOptions(8L << 20, true))) {
                report = StoreRecovery.run(dirs, index, new EvictionRecovery(), StoreRecovery.Listener.NONE);
            }
            Path manifestDir = Layout.writer(roots.getFirst(), writer);
            Manifest.repairTail(manifestDir);
            List<Manifest.Entry> sealed = new ArrayList<>();
            for (int b = 0; b < dirs.size(); b++) {
                for (String name : Layout.list(dirs.get(b).dir())) {
                    var p = SegmentPath.parse(name);
                    if (p.isPresent() && p.get().state() == SegmentPath.State.SEALED) {
                        sealed.add(new Manifest.Entry(Manifest.Kind.SEALED, b, p.get().segmentId()));
                    }
                }
            }
            Manifest.append(manifestDir, sealed);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            LOG.warn("adopted writer {}: {} open segment(s) recovered and sealed, {} sealed segment(s) handed to the GC, in {} ms",
                    writer, report.openRecovered(), sealed.size(), ms);
            return new Result(writer, sealed.size(), report.openRecovered(), ms);
        } finally {
            FileTrees.deleteRecursively(scratch);
        }
    }
}
