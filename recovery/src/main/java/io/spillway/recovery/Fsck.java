package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.index.IndexOptions;
import io.spillway.index.MetaKeys;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CommitLog;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Offline consistency check of a store directory and its index, both ways, with optional repair.
 * Run by {@code spillway fsck}; it holds the store's lock throughout, so it refuses a store that
 * another process has open, and no store can open while it runs.
 *
 * <p>Checks, in order:
 * <ol>
 *   <li>The directory: temporary files of ours are problems (repair deletes them); foreign files
 *       and NFS silly-rename files are listed as notices and never touched. The
 *       {@link CommitLog}: commits it holds that the index lacks are a problem (an open applies
 *       them), a torn tail a notice.
 *   <li>Each segment: an {@code .open} one is a problem (repair: {@link OpenSegmentRecovery}, as
 *       an open would do); a sealed one must have a valid header and footer, and a scan of its
 *       group and record headers up to the footer must agree with the footer. A damaged group
 *       header block is a problem; repair rewrites it from the footer, which lists every field of
 *       every record header (flags without {@link RecordFlags#NOT_LIVE}).
 *   <li>With {@code deep}: every footer entry's payload CRC32C. A corrupt payload is a problem;
 *       repair removes the index entry pointing at it (the bytes cannot be recovered). Then every
 *       padding byte of each sealed segment with a readable footer must be zero
 *       ({@link SegmentPadding}): no reader looks at padding, so this is the only place a flip
 *       there shows. Non-zero padding is a problem; repair writes zeros over it. A footer whose
 *       entries do not tile the data area is a bad footer (not repairable here).
 *   <li>Every index entry must point at a record of an existing segment, with the same length
 *       and CRC (else dangling; repair removes it).
 *   <li>Every live footer entry of a segment the index does not know as sealed must be indexed
 *       (repair adds it, as recovery does). In a segment the index knows as sealed, a live
 *       footer entry without an index entry was deleted after sealing: a notice, not a problem.
 * </ol>
 * Without {@code repair} nothing is written anywhere (the store's {@code LOCK} file, which fsck
 * takes like any opener, aside).
 *
 * <p>Every read of the directory and its segment files goes through one {@link FileIO}: by
 * default the one the store itself would probe for, or one the caller supplies (a simulated
 * disk). Repairs that rewrite bytes in place (a group header block, padding) write through
 * {@link FileChannel} at the segment's path, so {@code repair} needs the segments on a real
 * file system. {@link #checkSegmentFile} runs steps 2 and 3 on one sealed file, with no index
 * and no lock.
 */
public final class Fsck {

    /** What a problem is about. */
    public enum Kind {
        TEMP_FILE, UNSEALED_SEGMENT, BAD_SEGMENT, BAD_FOOTER, CORRUPT_HEADER, CORRUPT_PAYLOAD, NONZERO_PADDING,
        DANGLING_ENTRY, MISSING_SEGMENT, UNINDEXED_RECORD
    }

    /**
     * One problem.
     *
     * @param kind what it is
     * @param where the file, segment or key concerned
     * @param detail what was found
     * @param repaired whether {@code --repair} fixed it
     */
    public record Problem(Kind kind, String where, String detail, boolean repaired) {
        @Override
        public String toString() {
            return kind + " " + where + ": " + detail + (repaired ? " [repaired]" : "");
        }
    }

    /**
     * The outcome.
     *
     * @param segments segment files checked
     * @param records footer entries (records) seen
     * @param indexEntries index entries checked
     * @param payloadsVerified payload CRCs checked (deep only)
     * @param problems every problem found
     * @param notices things worth knowing that are not problems
     * @param millis how long it took
     */
    public record Result(int segments, long records, long indexEntries, long payloadsVerified, List<Problem> problems,
                         List<String> notices, long millis) {
        public boolean clean() {
            return problems.isEmpty();
        }
    }

    private final Path dir;
    private final Path indexDir;
    private final boolean deep;
    private final boolean repair;
    private final FileIO io; // null: probe the directory, as the store does, once the index gives the alignment
    private final List<Problem> problems = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private long records;
    private long indexEntries;
    private long payloads;

    private Fsck(Path dir, Path indexDir, boolean deep, boolean repair, FileIO io) {
        this.dir = dir;
        this.indexDir = indexDir;
        this.deep = deep;
        this.repair = repair;
        this.io = io;
    }

    /**
     * Checks the store in {@code dir} whose index is {@code indexDir}.
     *
     * @throws io.spillway.segments.io.StoreLockedException if another process has the store open
     * @throws IOException if the check cannot run (no index, an unreadable index: run rebuild-index)
     */
    public static Result run(Path dir, Path indexDir, boolean deep, boolean repair) throws IOException {
        return run0(dir, indexDir, deep, repair, null);
    }

    /**
     * Checks the store in {@code dir} as {@link #run(Path, Path, boolean, boolean)} does, reading
     * the directory and its segment files through {@code io} (whose files may live elsewhere, on a
     * simulated disk, at the same paths). The lock is still taken on the real {@code dir}, and the
     * index is opened from the real {@code indexDir}; {@code repair} writes to the real files.
     */
    public static Result run(Path dir, Path indexDir, boolean deep, boolean repair, FileIO io) throws IOException {
        return run0(dir, indexDir, deep, repair, Objects.requireNonNull(io, "io"));
    }

    private static Result run0(Path dir, Path indexDir, boolean deep, boolean repair, FileIO io) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no store directory");
        }
        if (!Files.isDirectory(indexDir)) {
            throw new IOException("no index at " + indexDir + " (rebuild it with 'spillway rebuild-index')");
        }
        long t0 = System.nanoTime();
        try (StoreLock lock = StoreLock.acquire(dir)) {
            BlockIndex index;
            try {
                index = BlockIndex.open(indexDir, new IndexOptions(64L << 20, false));
            } catch (IndexException e) {
                throw new IOException("the index at " + indexDir + " cannot be opened (" + e.getMessage()
                        + "); rebuild it with 'spillway rebuild-index'", e);
            }
            try (index) {
                Fsck f = new Fsck(dir, indexDir, deep, repair, io);
                f.check(index);
                return new Result(f.segmentCount, f.records, f.indexEntries, f.payloads, List.copyOf(f.problems),
                        List.copyOf(f.notices), (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    /**
     * What {@code fsck --deep} reports about one sealed segment file: steps 2 and 3 (header,
     * footer, group and record headers against the footer, payload CRCs, padding), with no index
     * and no lock. Without an index a corrupt payload cannot be told from dead space, so every
     * payload CRC mismatch is a problem here. Reads through {@code io} only; writes nothing.
     */
    public static List<Problem> checkSegmentFile(FileIO io, Path file, long segmentId) throws IOException {
        Fsck f = new Fsck(file.getParent(), null, true, false, io);
        f.checkSealed(io, file, segmentId);
        f.corrupt.getOrDefault(segmentId, Map.of()).forEach((offset, e) -> f.problem(Kind.CORRUPT_PAYLOAD,
                file.getFileName() + " offset " + offset, "payload CRC mismatch for key " + e.key(), false));
        return List.copyOf(f.problems);
    }

    private int segmentCount;

    /** A segment's records by payload offset, and whether the index knows it as sealed. */
    private record Seg(long id, Path file, Map<Long, SegmentFooter.Entry> byOffset, SegmentFooter footer) {
    }

    private void check(BlockIndex index) throws IOException {
        int alignment = Math.toIntExact(index.getMeta(MetaKeys.ALIGNMENT).orElse(4096L));
        FileIO io = this.io != null ? this.io : DirectIoProbe.forDirectory(dir, false, alignment);
        // Step 1.
        Map<Long, SegmentPath> files = new TreeMap<>();
        for (String name : io.list(dir)) {
            var parsed = SegmentPath.parse(name);
            Path p = dir.resolve(name);
            if (parsed.isPresent()) {
                SegmentPath prev = files.put(parsed.get().segmentId(), parsed.get());
                if (prev != null && prev.state() == SegmentPath.State.SEALED) {
                    files.put(prev.segmentId(), prev); // .open beside .seg: a crash in the rename; the .seg is whole
                    problem(Kind.UNSEALED_SEGMENT, name, "stale .open name beside its sealed file",
                            repair && io.delete(p));
                } else if (prev != null) {
                    problem(Kind.UNSEALED_SEGMENT, prev.fileName(), "stale .open name beside its sealed file",
                            repair && io.delete(prev.in(dir)));
                }
            } else if (TempFiles.isOurs(name)) {
                problem(Kind.TEMP_FILE, name, "leftover temporary file", repair && io.delete(p));
            } else if (name.equals(StoreLock.FILE_NAME) || p.toAbsolutePath().normalize().equals(indexDir.toAbsolutePath().normalize())) {
                continue;
            } else if (name.equals(CommitLog.FILE_NAME)) {
                checkCommitLog(io, index);
            } else if (TempFiles.isNfsSillyRename(name)) {
                notices.add("NFS silly-rename file " + name + " (an NFS client removes it; left alone)");
            } else {
                notices.add("foreign file " + name + " (not the store's; left alone)");
            }
        }
        // Step 2 and 3.
        Map<Long, Seg> segs = new HashMap<>();
        for (SegmentPath sp : files.values()) {
            segmentCount++;
            if (sp.state() == SegmentPath.State.OPEN) {
                boolean fixed = false;
                if (repair) {
                    OpenSegmentRecovery.recover(io, dir, sp.segmentId(), index);
                    fixed = true;
                    sp = sp.as(SegmentPath.State.SEALED);
                }
                problem(Kind.UNSEALED_SEGMENT, sp.fileName(), "segment left open by a crash (an open recovers it)", fixed);
                if (!fixed) {
                    SegmentScanner.Result scan = SegmentScanner.scan(io, sp.in(dir), sp.segmentId(), true, Long.MAX_VALUE);
                    segs.put(sp.segmentId(), new Seg(sp.segmentId(), sp.in(dir), byOffset(scan.records()), null));
                    records += scan.records().size();
                    continue;
                }
            }
            Seg s = checkSealed(io, sp.in(dir), sp.segmentId());
            if (s != null) {
                segs.put(sp.segmentId(), s);
            }
        }
        // Step 4.
        Map<RecordKey, BlockLocation> remove = new HashMap<>();
        Map<Long, Integer> missing = new TreeMap<>();
        index.forEach((key, loc) -> {
            indexEntries++;
            if (loc == null) {
                problem(Kind.DANGLING_ENTRY, key.toString(), "unreadable index value", false);
                return true;
            }
            if (!files.containsKey(loc.segmentId())) {
                missing.merge(loc.segmentId(), 1, Integer::sum);
                remove.put(key, loc);
                return true;
            }
            Seg s = segs.get(loc.segmentId());
            if (s == null) {
                remove.put(key, loc); // its segment is unreadable
                return true;
            }
            SegmentFooter.Entry e = s.byOffset().get(loc.payloadOffset());
            if (e == null || !e.key().equals(key) || e.location().storedLength() != loc.storedLength()
                    || e.location().payloadCrc() != loc.payloadCrc()) {
                problem(Kind.DANGLING_ENTRY, key.toString(), "points at segment " + loc.segmentId() + " offset "
                        + loc.payloadOffset() + ", where there is " + (e == null ? "no record" : "another record"), repair);
                remove.put(key, loc);
            } else if (corrupt.containsKey(loc.segmentId()) && corrupt.get(loc.segmentId()).containsKey(loc.payloadOffset())) {
                remove.put(key, loc);
                corruptIndexed.add(key.toString());
            }
            return true;
        });
        missing.forEach((id, n) -> problem(Kind.MISSING_SEGMENT, new SegmentPath(id, SegmentPath.State.SEALED).fileName(),
                n + " index entries point into this segment, which does not exist", repair));
        for (var byOffset : corrupt.entrySet()) {
            for (var c : byOffset.getValue().entrySet()) {
                SegmentFooter.Entry e = c.getValue();
                if (corruptIndexed.contains(e.key().toString())) {
                    problem(Kind.CORRUPT_PAYLOAD, "segment " + byOffset.getKey() + " offset " + c.getKey(),
                            "payload CRC mismatch for indexed key " + e.key() + " (repair unindexes it; its bytes are lost)", repair);
                } else {
                    notices.add("segment " + byOffset.getKey() + " offset " + c.getKey() + ": payload CRC mismatch in a record"
                            + " no index entry points at (dead space)");
                }
            }
        }
        // Step 5.
        Map<RecordKey, BlockLocation> add = new HashMap<>();
        List<Long> markSealed = new ArrayList<>();
        long deletedSinceSeal = 0;
        for (Seg s : segs.values()) {
            if (s.footer() == null) {
                continue;
            }
            List<SegmentFooter.Entry> live = s.footer().liveEntries();
            List<BlockLocation> current = index.getAll(live.stream().map(SegmentFooter.Entry::key).toList());
            boolean known = index.knownSealed(s.id());
            int unindexed = 0;
            for (int i = 0; i < live.size(); i++) {
                if (current.get(i) == null && !remove.containsKey(live.get(i).key())) {
                    if (known) {
                        deletedSinceSeal++;
                    } else {
                        unindexed++;
                        add.put(live.get(i).key(), live.get(i).location().withFlags(live.get(i).location().flags() & ~RecordFlags.NOT_LIVE));
                    }
                }
            }
            if (!known) {
                markSealed.add(s.id());
                if (unindexed > 0) {
                    problem(Kind.UNINDEXED_RECORD, s.file().getFileName().toString(), unindexed
                            + " live records are not indexed (the index lost or predates them)", repair);
                }
            }
        }
        if (deletedSinceSeal > 0) {
            notices.add(deletedSinceSeal + " records live at sealing were deleted since (dead space for the GC)");
        }
        if (repair) {
            try (BlockIndex.Batch b = index.batch()) {
                for (var e : remove.entrySet()) {
                    b.remove(e.getKey(), e.getValue());
                }
                for (var e : add.entrySet()) {
                    b.put(e.getKey(), e.getValue());
                }
                for (long id : markSealed) {
                    b.sealed(id);
                }
                index.write(b, true);
            }
            for (long id : missing.keySet()) {
                index.forgetSegment(id);
            }
        }
    }

    private final Map<Long, Map<Long, SegmentFooter.Entry>> corrupt = new TreeMap<>();
    private final java.util.Set<String> corruptIndexed = new java.util.HashSet<>();

    private static Map<Long, SegmentFooter.Entry> byOffset(List<SegmentFooter.Entry> entries) {
        Map<Long, SegmentFooter.Entry> m = new HashMap<>();
        for (SegmentFooter.Entry e : entries) {
            m.put(e.location().payloadOffset(), e);
        }
        return m;
    }

    /** Steps 2 and 3 for one sealed segment; null if it cannot be read at all. */
    private Seg checkSealed(FileIO io, Path file, long segmentId) throws IOException {
        String name = file.getFileName().toString();
        SegmentFooter footer;
        try (SegmentReader reader = SegmentReader.open(io, file, segmentId)) {
            try {
                footer = reader.readFooter();
            } catch (CorruptRecordException e) {
                problem(Kind.BAD_FOOTER, name, e.getMessage() + " (an index rebuild scans this segment)", false);
                SegmentScanner.Result scan = SegmentScanner.scan(io, file, segmentId, true, Long.MAX_VALUE);
                records += scan.records().size();
                return new Seg(segmentId, file, byOffset(scan.records()), null);
            }
            records += footer.entries().size();
            for (int attempt = 0; attempt < 1000; attempt++) {
                SegmentScanner.Result scan = SegmentScanner.scan(io, file, segmentId, false, footer.dataEnd());
                if (scan.stop() != SegmentScanner.Stop.CORRUPT && scan.validEnd() == footer.dataEnd()
                        && scan.records().size() == footer.entries().size()) {
                    break;
                }
                long at = scan.validEnd();
                String why = scan.problem() == null ? "headers end at " + at + " but the footer's data ends at " + footer.dataEnd()
                        : scan.problem().getMessage();
                boolean fixed = repair && rewriteGroupHeader(file, segmentId, at, footer, scan.alignment());
                problem(Kind.CORRUPT_HEADER, name + " group at " + at, why, fixed);
                if (!fixed) {
                    break;
                }
            }
            if (deep) {
                try (Arena arena = Arena.ofConfined()) {
                    int unit = Math.max(io.alignment(), 4096);
                    MemorySegment buf = arena.allocate(1 << 20, unit);
                    for (SegmentFooter.Entry e : footer.entries()) {
                        BlockLocation loc = e.location();
                        long need = SegmentLayout.alignUp(loc.storedLength(), unit);
                        if (buf.byteSize() < need) {
                            buf = arena.allocate(need, unit);
                        }
                        payloads++;
                        try {
                            reader.readVerified(loc, buf);
                        } catch (CorruptRecordException ex) {
                            corrupt.computeIfAbsent(segmentId, x -> new TreeMap<>()).put(loc.payloadOffset(), e);
                        }
                    }
                }
                checkPadding(reader, footer, file);
            }
        } catch (CorruptRecordException e) {
            problem(Kind.BAD_SEGMENT, name, e.getMessage(), false);
            return null;
        }
        return new Seg(segmentId, file, byOffset(footer.entries()), footer);
    }

    /** Step 3's padding check of one sealed segment whose footer checked out. */
    private void checkPadding(SegmentReader reader, SegmentFooter footer, Path file) throws IOException {
        String name = file.getFileName().toString();
        SegmentPadding.Result pad = SegmentPadding.check(reader, footer);
        if (pad.layoutProblem() != null) {
            problem(Kind.BAD_FOOTER, name, "the footer's entries do not tile the data area: " + pad.layoutProblem().getMessage()
                    + " (padding inside groups not checked)", false);
        }
        for (SegmentPadding.Range r : pad.nonZero()) {
            boolean fixed = repair && writeAt(file, ByteBuffer.allocate(Math.toIntExact(r.length())), r.offset());
            problem(Kind.NONZERO_PADDING, name + " offset " + r.offset(), "non-zero bytes in " + r
                    + ", padding the format requires to be zeros", fixed);
        }
    }

    /**
     * Rewrites the header block of the group at {@code groupOffset} from the footer: the group's
     * records are the footer entries whose payloads follow it back to back. Returns false when the
     * footer does not describe a group there.
     */
    private static boolean rewriteGroupHeader(Path file, long segmentId, long groupOffset, SegmentFooter footer, int alignment)
            throws IOException {
        List<SegmentFooter.Entry> group = new ArrayList<>();
        long end = -1;
        for (SegmentFooter.Entry e : footer.entries()) {
            BlockLocation l = e.location();
            if (l.payloadOffset() < groupOffset) {
                continue;
            }
            if (end >= 0 && l.payloadOffset() != end) {
                break;
            }
            group.add(e);
            end = l.payloadOffset() + SegmentLayout.alignUp(l.storedLength(), alignment);
        }
        if (group.isEmpty() || group.size() > GroupHeader.MAX_RECORDS) {
            return false;
        }
        int hbl = GroupHeader.headerBlockLength(group.size(), alignment);
        if (group.getFirst().location().payloadOffset() != groupOffset + hbl) {
            return false;
        }
        ByteBuffer block = ByteBuffer.allocate(hbl).order(ByteOrder.LITTLE_ENDIAN);
        new GroupHeader(group.size(), segmentId, groupOffset, end - groupOffset, hbl).encode(block);
        for (SegmentFooter.Entry e : group) {
            BlockLocation l = e.location();
            RecordHeader.of(e.key(), l.withFlags(l.flags() & ~RecordFlags.NOT_LIVE)).encode(block);
        }
        return writeAt(file, block.clear(), groupOffset);
    }

    /**
     * Repair's in-place write: {@code bytes} at {@code offset} of the real file, made durable
     * before fsck reports it repaired. Returns true.
     */
    private static boolean writeAt(Path file, ByteBuffer bytes, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            while (bytes.hasRemaining()) {
                ch.write(bytes, offset + bytes.position());
            }
            ch.force(false);
        }
        return true;
    }

    /**
     * Step 1, for the {@link CommitLog}: a torn tail is a notice (an append never acknowledged;
     * the next open cuts it off); records above the sequence number the index holds are commits
     * the index lacks, a problem that the next open repairs ({@link StoreRecovery}, step 9).
     */
    private void checkCommitLog(FileIO io, BlockIndex index) throws IOException {
        CommitLog.Contents log = CommitLog.read(io, dir);
        if (log.tornBytes() > 0) {
            notices.add(CommitLog.FILE_NAME + ": " + log.tornBytes() + " bytes of a torn append after offset " + log.validEnd()
                    + " (never acknowledged; the next open cuts them off)");
        }
        long indexed = index.getMeta(MetaKeys.COMMIT_LOG_SEQ).orElse(0L);
        if (log.lastSeq() > indexed) {
            problem(Kind.UNINDEXED_RECORD, CommitLog.FILE_NAME, "records " + (indexed + 1) + " to " + log.lastSeq()
                    + " hold commits the index lacks (the next open applies them)", false);
        }
    }

    private void problem(Kind kind, String where, String detail, boolean repaired) {
        problems.add(new Problem(kind, where, detail, repaired));
    }
}
