package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.index.MetaKeys;
import io.spillway.index.SegmentStats;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CommitLog;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup recovery of a whole store: what {@code BlockStore.open} runs after it has locked every
 * directory and opened the index ({@link IndexOpener}), before any writer starts. Also the core of
 * {@code rebuild-index}, which runs it against a fresh index.
 *
 * <p>Protocol (each step idempotent; a crash anywhere is handled by running it all again):
 * <ol>
 *   <li>Read the clean-shutdown marker, then delete it (synced) before changing anything, so a
 *       crash during this session is never mistaken for a clean one.
 *   <li>List every directory, in any order: segment files by {@link SegmentPath}, temporary files
 *       this store creates ({@link TempFiles}), and foreign files (left alone, NFS silly-rename
 *       {@code .nfsXXXX} files included: a client deletes them when the last handle closes). A
 *       segment's name on something that is not a regular file (a directory, a dangling symbolic
 *       link, a FIFO) is no segment: it is left alone and counts as missing.
 *   <li>Remove leftover temporary files of ours (a probe file of a crashed open).
 *   <li>Finish or roll back half-done GC steps: {@link GcRecovery}, filled in by the GC.
 *   <li>Fast path: with the marker present, no {@code .open} segment, no segment id the index
 *       never handed out, no segment the index has entries in missing (either would show a stale
 *       index copied from a closed store) and no commit-log record the index lacks, stop here:
 *       the index is exact. Its cost is the listing, the per-segment rows and the commit log.
 *   <li>An {@code .open} segment whose {@code .seg} also exists is a crash inside the sealing
 *       rename: the sealed file is complete, the open name is deleted.
 *   <li>Every remaining {@code .open} segment is recovered by {@link OpenSegmentRecovery}
 *       (scanned, truncated at its first invalid group, reconciled by its published watermark,
 *       sealed). Only unsealed bytes are read, so the time is that of reading them once.
 *   <li>Every sealed segment the index does not know as sealed (a lost index, or a stale one
 *       rolled back to before the seal) has its footer's live entries added where the index
 *       lacks the key (never overwriting an entry that points into another segment still on
 *       disk; one into a segment that is gone is no copy at all); a segment whose footer
 *       is unreadable is scanned instead and its auto-commit records are added the same way.
 *       Segments go newest first, so the newest copy of a key wins.
 *   <li>Manual commits the index lacks: every {@link CommitLog} record (in the first directory)
 *       whose sequence number is above the one the index holds was appended, and synced, by a
 *       commit whose index batch was lost with the index (or a crash came between the two).
 *       Newest first, each entry is indexed where the index lacks its key (or points into a
 *       segment that is gone) and the footer of its segment lists exactly that record. The
 *       index then holds the log's last sequence number.
 *   <li>Entries that point into a segment that is gone, past a truncation or at a record that
 *       failed its check are dropped. Finding them costs a pass over the index, so it runs only
 *       when the per-segment live-record accounting shows such entries exist. The next segment
 *       id is raised past every id on disk.
 * </ol>
 * Durability of the steps' own writes: every index change is one synced batch per segment,
 * written before the segment file changes (see {@link OpenSegmentRecovery}).
 */
public final class StoreRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(StoreRecovery.class);

    /** One store directory and the IO to use on it. */
    public record Directory(Path dir, FileIO io) {
    }

    /** Called once per segment recovered or reconciled (progress bars). */
    @FunctionalInterface
    public interface Listener {
        void segmentDone(long segmentId, long bytesRead);

        Listener NONE = (id, bytes) -> { };
    }

    /**
     * What a recovery did.
     *
     * @param cleanShutdown the marker was present
     * @param fastPath steps 6 to 10 were skipped
     * @param openRecovered {@code .open} segments recovered (step 7)
     * @param sealedReconciled sealed segments reconciled from their footers (step 8)
     * @param sealedScanned sealed segments with an unreadable footer, scanned (step 8)
     * @param entriesAdded index entries added (steps 7 to 9)
     * @param entriesDropped index entries dropped (step 10)
     * @param truncatedBytes torn tail bytes dropped
     * @param unsealedBytes bytes of unsealed data scanned
     * @param tempFilesRemoved temporary files removed (step 3)
     * @param foreignFiles foreign files seen and left alone
     * @param millis how long it took
     */
    public record Report(boolean cleanShutdown, boolean fastPath, int openRecovered, int sealedReconciled,
                         int sealedScanned, long entriesAdded, long entriesDropped, long truncatedBytes,
                         long unsealedBytes, int tempFilesRemoved, List<String> foreignFiles, long millis) {
    }

    private StoreRecovery() {
    }

    /** Runs steps 1 to 10 over {@code dirs} with the hook {@code gc}. */
    public static Report run(List<Directory> dirs, BlockIndex index, GcRecovery gc, Listener listener) throws IOException {
        long t0 = System.nanoTime();
        // Step 1.
        boolean clean = index.getMeta(MetaKeys.CLEAN_SHUTDOWN).orElse(0L) != 0;
        if (clean) {
            try (BlockIndex.Batch b = index.batch()) {
                b.deleteMeta(MetaKeys.CLEAN_SHUTDOWN);
                index.write(b, true);
            }
        }
        // Step 2.
        NavigableMap<Long, Located> sealed = new TreeMap<>();
        NavigableMap<Long, Located> open = new TreeMap<>();
        List<String> foreign = new ArrayList<>();
        int temps = 0;
        for (Directory d : dirs) {
            for (String name : d.io().list(d.dir())) {
                var parsed = SegmentPath.parse(name);
                if (parsed.isPresent() && !d.io().isRegularFile(d.dir().resolve(name))) {
                    // A segment's name on a directory, a dangling link or a FIFO: not a segment.
                    // Reading it would fail forever (or block); its entries go as a missing
                    // segment's do (step 10), and fsck --repair moves it aside.
                    LOG.warn("{} has a segment's name but is not a regular file: ignored as if missing (fsck --repair moves"
                            + " it aside)", d.dir().resolve(name));
                    continue;
                }
                if (parsed.isPresent() && parsed.get().state() == SegmentPath.State.DELETING) {
                    // An eviction a crash interrupted: step 4 (GcRecovery) finishes it. It must
                    // never be reconciled like a sealed segment, or its blocks would come back.
                    continue;
                }
                if (parsed.isPresent()) {
                    SegmentPath p = parsed.get();
                    Map<Long, Located> into = p.state() == SegmentPath.State.OPEN ? open : sealed;
                    Located prev = into.putIfAbsent(p.segmentId(), new Located(d, p));
                    if (prev != null && !prev.dir().dir().equals(d.dir())) {
                        throw new IOException("segment " + p.segmentId() + " found twice: in " + prev.dir().dir() + " and " + d.dir());
                    }
                } else if (TempFiles.isOurs(name)) {
                    // Step 3.
                    if (d.io().delete(d.dir().resolve(name))) {
                        temps++;
                        LOG.info("removed leftover temporary file {}", d.dir().resolve(name));
                    }
                } else if (!name.equals(StoreLock.FILE_NAME) && !name.equals(CommitLog.FILE_NAME)
                        && !d.dir().resolve(name).toAbsolutePath().normalize().equals(index.directory().toAbsolutePath().normalize())) {
                    foreign.add(d.dir().resolve(name).toString());
                }
            }
        }
        if (!foreign.isEmpty()) {
            LOG.info("left {} foreign file(s) alone: {}", foreign.size(), foreign.size() <= 5 ? foreign : foreign.subList(0, 5) + " ...");
        }
        // Step 4.
        gc.finishOrRollBack(dirs, index);
        // Step 5.
        long nextId = index.getMeta(MetaKeys.NEXT_SEGMENT_ID).orElse(1L);
        long maxId = Math.max(sealed.isEmpty() ? 0 : sealed.lastKey(), open.isEmpty() ? 0 : open.lastKey());
        CommitLog.Contents log = CommitLog.read(dirs.getFirst().io(), dirs.getFirst().dir());
        long logApplied = index.getMeta(MetaKeys.COMMIT_LOG_SEQ).orElse(0L);
        Map<Long, SegmentStats> stats = index.segmentStats();
        boolean allThere = stats.values().stream().allMatch(st -> st.liveRecords() == 0 || sealed.containsKey(st.segmentId()));
        if (clean && open.isEmpty() && maxId < nextId && allThere && log.lastSeq() <= logApplied) {
            Report r = new Report(true, true, 0, 0, 0, 0, 0, 0, 0, temps, foreign, (System.nanoTime() - t0) / 1_000_000);
            LOG.debug("clean shutdown: no recovery needed ({} segments)", sealed.size());
            return r;
        }
        if (clean) {
            LOG.warn("clean-shutdown marker present but {} segment(s) are open or unknown to the index (max id {}, index"
                    + " next id {}), or the index names a segment that is gone, or the commit log is ahead of it: recovering"
                    + " as after a crash", open.size(), maxId, nextId);
        }
        // Step 6.
        for (var it = open.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Located l = e.getValue();
            if (sealed.containsKey(e.getKey())) {
                l.dir().io().delete(l.path().in(l.dir().dir()));
                l.dir().io().syncDirectory(l.dir().dir());
                LOG.info("segment {}: removed the stale .open name left by a crash inside its sealing rename", e.getKey());
                it.remove();
            }
        }
        // Steps 7 and 8, newest segment first.
        Set<Long> sweep = new HashSet<>();
        Map<Long, Set<Long>> validOffsets = new HashMap<>();
        int openDone = 0;
        int reconciled = 0;
        int scanned = 0;
        long added = 0;
        long truncated = 0;
        long unsealed = 0;
        LongPredicate present = id -> sealed.containsKey(id) || open.containsKey(id);
        Set<Long> all = new TreeSet<>(Comparator.reverseOrder());
        all.addAll(open.keySet());
        all.addAll(sealed.keySet());
        for (long id : all) {
            if (open.containsKey(id)) {
                Located l = open.get(id);
                OpenSegmentRecovery.Report r = OpenSegmentRecovery.recover(l.dir().io(), l.dir().dir(), id, index, present);
                openDone++;
                added += r.addedRecords();
                truncated += r.truncatedBytes();
                unsealed += r.scannedBytes();
                SegmentStats s = stats.get(id);
                // Entries the index had for this segment beyond what the scan found live: they point
                // past the truncation or at records that failed their check.
                if (s != null && s.liveRecords() > r.liveRecords() - r.addedRecords()) {
                    sweep.add(id);
                    validOffsets.put(id, liveOffsets(r.valid()));
                }
                if (r.validEnd() > 0) {
                    sealed.put(id, new Located(l.dir(), l.path().as(SegmentPath.State.SEALED)));
                } // else it had no valid header and was set aside: no segment any more
                listener.segmentDone(id, r.scannedBytes());
            } else if (!index.knownSealed(id)) {
                Located l = sealed.get(id);
                Reconciled r = reconcileSealed(l, index, present);
                added += r.added();
                reconciled += r.scanned() ? 0 : 1;
                scanned += r.scanned() ? 1 : 0;
                listener.segmentDone(id, r.bytesRead());
            }
        }
        if (reconciled + scanned > 0) {
            index.syncWal();
        }
        // Step 9.
        long fromLog = log.lastSeq() > logApplied ? applyCommitLog(log, logApplied, index, sealed::containsKey,
                id -> footerByOffset(sealed.get(id))) : 0;
        added += fromLog;
        // Step 10.
        for (SegmentStats s : stats.values()) {
            if (s.liveRecords() > 0 && !sealed.containsKey(s.segmentId())) {
                sweep.add(s.segmentId());
                LOG.warn("segment {} is gone but the index holds {} entries into it: dropping them", s.segmentId(), s.liveRecords());
            }
        }
        long dropped = sweep.isEmpty() ? 0 : sweep(index, sweep, validOffsets, sealed.keySet());
        if (maxId >= nextId) {
            // A rebuilt or stale index learns every id on disk, so the next fast-path check holds.
            index.putMeta(MetaKeys.NEXT_SEGMENT_ID, maxId + 1);
        }
        Report r = new Report(clean, false, openDone, reconciled, scanned, added, dropped, truncated, unsealed, temps, foreign,
                (System.nanoTime() - t0) / 1_000_000);
        LOG.info("crash recovery: {} open segment(s) recovered ({} MiB scanned, {} torn bytes dropped), {} sealed segment(s)"
                        + " reconciled from footers, {} by scan, {} entries added ({} from the commit log), {} dropped,"
                        + " {} temporary file(s) removed, in {} ms",
                r.openRecovered(), r.unsealedBytes() >> 20, r.truncatedBytes(), r.sealedReconciled(), r.sealedScanned(),
                r.entriesAdded(), fromLog, r.entriesDropped(), r.tempFilesRemoved(), r.millis());
        return r;
    }

    /**
     * Writes the clean-shutdown marker: the last index write of a close, after everything else
     * is durable. Not written when a writer was abandoned or a segment failed (a recovery is due).
     */
    public static void markClean(BlockIndex index) throws IOException {
        try (BlockIndex.Batch b = index.batch()) {
            b.putMeta(MetaKeys.CLEAN_SHUTDOWN, 1);
            index.write(b, true);
        }
    }

    private record Located(Directory dir, SegmentPath path) {
    }

    private record Reconciled(long added, boolean scanned, long bytesRead) {
    }

    /** Step 8 for one sealed segment. */
    private static Reconciled reconcileSealed(Located l, BlockIndex index, LongPredicate present)
            throws IOException {
        long id = l.path().segmentId();
        Path file = l.path().in(l.dir().dir());
        List<SegmentFooter.Entry> candidates;
        boolean scanned = false;
        long read;
        try (SegmentReader reader = SegmentReader.open(l.dir().io(), file, id)) {
            SegmentFooter footer;
            try {
                footer = reader.readFooter();
                candidates = footer.liveEntries();
                read = reader.size() - footer.dataEnd();
            } catch (CorruptRecordException e) {
                LOG.warn("segment {}: footer unreadable ({}); scanning it", id, e.getMessage());
                SegmentScanner.Result scan = SegmentScanner.scan(l.dir().io(), file, id, true, Long.MAX_VALUE);
                Map<RecordKey, SegmentFooter.Entry> latest = new HashMap<>();
                for (SegmentFooter.Entry en : scan.records()) {
                    if ((en.location().flags() & RecordFlags.AUTO_COMMIT) != 0) {
                        latest.put(en.key(), en);
                    }
                }
                candidates = List.copyOf(latest.values());
                scanned = true;
                read = scan.validEnd();
            }
        } catch (CorruptRecordException e) {
            LOG.error("segment {}: header unreadable ({}); left alone, its blocks are lost", id, e.getMessage());
            return new Reconciled(0, true, 0);
        }
        long added = 0;
        try (BlockIndex.Batch batch = index.batch()) {
            List<BlockLocation> current = index.getAll(candidates.stream().map(SegmentFooter.Entry::key).toList());
            for (int i = 0; i < candidates.size(); i++) {
                BlockLocation cur = current.get(i);
                if (cur == null || !present.test(cur.segmentId())) {
                    if (cur != null) {
                        batch.remove(candidates.get(i).key(), cur); // its segment's accounting goes with it
                    }
                    batch.put(candidates.get(i).key(), candidates.get(i).location().withFlags(
                            candidates.get(i).location().flags() & ~RecordFlags.NOT_LIVE));
                    added++;
                }
            }
            batch.sealed(id);
            // Not synced here: nothing on disk depends on it, and step 8 syncs the WAL once at its
            // end (a crash before that redoes the segment: its 's' flag is in the same batch).
            index.write(batch, false);
        } catch (IndexException e) {
            throw new IOException("reconciling the index with sealed segment " + id + " failed", e);
        }
        LOG.info("segment {}: the index did not know it as sealed; {} of its {} live records re-added{}", id, added,
                candidates.size(), scanned ? " (from a scan)" : "");
        return new Reconciled(added, scanned, read);
    }

    /**
     * Step 9 (and fsck's repair of the log): applies {@code log}'s records above sequence
     * {@code applied}; returns how many entries it added.
     *
     * @param sealed whether a segment id names a sealed segment on disk
     * @param footerOf a sealed segment's footer entries by payload offset (empty if unreadable)
     */
    static long applyCommitLog(CommitLog.Contents log, long applied, BlockIndex index, LongPredicate sealed,
                               LongFunction<Map<Long, SegmentFooter.Entry>> footerOf) throws IOException {
        Map<Long, Map<Long, SegmentFooter.Entry>> footers = new HashMap<>();
        Map<RecordKey, BlockLocation> put = new LinkedHashMap<>();
        Map<RecordKey, BlockLocation> replaced = new HashMap<>(); // entries into a segment that is gone
        long skipped = 0;
        for (CommitLog.Record rec : log.records().reversed()) {
            if (rec.seq() <= applied) {
                break;
            }
            List<RecordKey> keys = rec.entries().stream().map(CommitLog.Entry::key).toList();
            List<BlockLocation> current = index.getAll(keys);
            for (int i = 0; i < keys.size(); i++) {
                BlockLocation cur = current.get(i);
                BlockLocation loc = rec.entries().get(i).location();
                if (put.containsKey(keys.get(i)) || cur != null && sealed.test(cur.segmentId())) {
                    continue; // a newer commit, or an entry the index already holds, wins
                }
                Map<Long, SegmentFooter.Entry> byOffset = !sealed.test(loc.segmentId()) ? Map.of()
                        : footers.computeIfAbsent(loc.segmentId(), footerOf::apply);
                SegmentFooter.Entry e = byOffset.get(loc.payloadOffset());
                if (e == null || !e.key().equals(keys.get(i)) || e.location().storedLength() != loc.storedLength()
                        || e.location().payloadCrc() != loc.payloadCrc()) {
                    skipped++; // evicted or moved by the GC since: nothing to bring back
                    continue;
                }
                put.put(keys.get(i), e.location().withFlags(e.location().flags() & ~RecordFlags.NOT_LIVE));
                if (cur != null) {
                    replaced.put(keys.get(i), cur);
                }
            }
        }
        try (BlockIndex.Batch batch = index.batch()) {
            for (var p : put.entrySet()) {
                BlockLocation gone = replaced.get(p.getKey());
                if (gone != null) {
                    batch.remove(p.getKey(), gone); // its segment's accounting goes with it
                }
                batch.put(p.getKey(), p.getValue());
            }
            batch.putMeta(MetaKeys.COMMIT_LOG_SEQ, log.lastSeq());
            index.write(batch, true);
        } catch (IndexException e) {
            throw new IOException("applying the commit log to the index failed", e);
        }
        LOG.info("commit log: records {} to {} were not in the index; {} committed blocks re-indexed, {} no longer on disk",
                applied + 1, log.lastSeq(), put.size(), skipped);
        return put.size();
    }

    /** A sealed segment's footer entries by payload offset; empty if the footer cannot be read. */
    private static Map<Long, SegmentFooter.Entry> footerByOffset(Located l) {
        long id = l.path().segmentId();
        try (SegmentReader reader = SegmentReader.open(l.dir().io(), l.path().in(l.dir().dir()), id)) {
            Map<Long, SegmentFooter.Entry> m = new HashMap<>();
            for (SegmentFooter.Entry e : reader.readFooter().entries()) {
                m.put(e.location().payloadOffset(), e);
            }
            return m;
        } catch (IOException e) {
            LOG.warn("segment {}: footer unreadable ({}); its logged commits cannot be checked and are not re-indexed", id,
                    e.getMessage());
            return Map.of();
        }
    }

    private static Set<Long> liveOffsets(List<SegmentFooter.Entry> entries) {
        Set<Long> out = new HashSet<>();
        for (SegmentFooter.Entry e : entries) {
            if ((e.location().flags() & RecordFlags.NOT_LIVE) == 0) {
                out.add(e.location().payloadOffset());
            }
        }
        return out;
    }

    /** Step 10: one pass over the index, dropping entries into {@code segments} that are not valid. */
    private static long sweep(BlockIndex index, Set<Long> segments, Map<Long, Set<Long>> validOffsets, Set<Long> present)
            throws IOException {
        Map<RecordKey, BlockLocation> drop = new HashMap<>();
        index.forEach((key, loc) -> {
            if (loc != null && segments.contains(loc.segmentId())) {
                Set<Long> valid = validOffsets.get(loc.segmentId());
                boolean ok = present.contains(loc.segmentId()) && (valid == null || valid.contains(loc.payloadOffset()));
                if (!ok) {
                    drop.put(key, loc);
                }
            }
            return true;
        });
        try (BlockIndex.Batch batch = index.batch()) {
            for (var e : drop.entrySet()) {
                batch.remove(e.getKey(), e.getValue());
            }
            index.write(batch, true);
        }
        if (!drop.isEmpty()) {
            LOG.warn("dropped {} index entries pointing into missing segments, past a truncation or at invalid records", drop.size());
        }
        return drop.size();
    }
}
