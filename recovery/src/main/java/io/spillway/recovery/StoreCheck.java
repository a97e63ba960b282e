package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CommitLog;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs {@link Fsck}'s steps over one store directory, in order: the listing (step 1), each
 * segment (steps 2 and 3), the commit log, then the index against the segments (steps 4 and 5).
 */
final class StoreCheck {

    /** What step 1 found: the segment files to check, by id, and every id under a segment's name. */
    private record Listing(Map<Long, SegmentPath> files, Set<Long> listed, boolean commitLog, boolean deleting) {
    }

    private final FsckContext ctx;

    private StoreCheck(FsckContext ctx) {
        this.ctx = ctx;
    }

    static void run(FsckContext ctx) throws IOException {
        new StoreCheck(ctx).run();
    }

    private void run() throws IOException {
        Listing listing = list();
        Map<Long, SealedSegmentCheck.Checked> segs = new HashMap<>();
        for (SegmentPath sp : listing.files().values()) {
            ctx.findings().segments++;
            SealedSegmentCheck.Checked c = sp.state() == SegmentPath.State.OPEN ? unsealed(sp) : SealedSegmentCheck.check(ctx,
                    sp.in(ctx.dir()), sp.segmentId());
            if (c != null) {
                segs.put(sp.segmentId(), c);
            }
        }
        if (listing.commitLog()) {
            CommitLogCheck.run(ctx, segs);
        }
        if (ctx.index() != null) {
            IndexCrossCheck.run(ctx, listing.listed(), segs);
        }
    }

    /**
     * Step 1: temporary files of ours are problems (repair deletes them); a segment's name on
     * something that is not a regular file is a problem (repair moves it aside,
     * {@link PathQuarantine}); an eviction a crash interrupted is a problem (repair finishes it,
     * as an open does); an {@code .open} name beside its {@code .seg} is a crash inside the
     * sealing rename (repair deletes the open name: the sealed file is whole). Foreign files,
     * NFS silly-rename files and paths moved aside earlier are notices, never touched.
     */
    private Listing list() throws IOException {
        Map<Long, SegmentPath> files = new TreeMap<>();
        Set<Long> listed = new HashSet<>();
        boolean commitLog = false;
        boolean deleting = false;
        Path indexDir = ctx.indexDir().toAbsolutePath().normalize();
        for (String name : ctx.io().list(ctx.dir())) {
            var parsed = SegmentPath.parse(name);
            Path p = ctx.dir().resolve(name);
            if (parsed.isPresent()) {
                listed.add(parsed.get().segmentId());
                if (!ctx.io().isRegularFile(p)) {
                    notAFile(p);
                } else if (parsed.get().state() == SegmentPath.State.DELETING) {
                    deleting = true;
                } else {
                    ctx.onDisk().add(parsed.get().segmentId());
                    staleOpenName(files, parsed.get());
                }
            } else if (TempFiles.isOurs(name)) {
                ctx.findings().problem(Fsck.Kind.TEMP_FILE, name, "leftover temporary file", ctx.repair() && ctx.io().delete(p));
            } else if (name.equals(CommitLog.FILE_NAME)) {
                commitLog = true;
            } else if (name.equals(StoreLock.FILE_NAME) || p.toAbsolutePath().normalize().equals(indexDir)) {
                continue;
            } else if (TempFiles.isNfsSillyRename(name)) {
                ctx.findings().notice("NFS silly-rename file " + name + " (an NFS client removes it; left alone)");
            } else if (PathQuarantine.isQuarantined(name)) {
                ctx.findings().notice(name + " was moved aside by fsck --repair (left alone; remove it once inspected)");
            } else {
                ctx.findings().notice("foreign file " + name + " (not the store's; left alone)");
            }
        }
        if (deleting) {
            interruptedEvictions();
        }
        return new Listing(files, listed, commitLog, deleting);
    }

    /** Adds {@code sp} to {@code files}, unless its other name is there: then the {@code .open} one is stale. */
    private void staleOpenName(Map<Long, SegmentPath> files, SegmentPath sp) throws IOException {
        SegmentPath prev = files.put(sp.segmentId(), sp);
        if (prev == null) {
            return;
        }
        SegmentPath stale = prev.state() == SegmentPath.State.OPEN ? prev : sp;
        files.put(sp.segmentId(), stale == prev ? sp : prev); // the .seg is whole
        ctx.findings().problem(Fsck.Kind.UNSEALED_SEGMENT, stale.fileName(), "stale .open name beside its sealed file",
                ctx.repair() && ctx.io().delete(stale.in(ctx.dir())));
    }

    private void notAFile(Path p) throws IOException {
        String what = Files.isSymbolicLink(p) ? "a symbolic link to " + Files.readSymbolicLink(p) + (Files.exists(p)
                ? ", which is not a regular file" : ", which does not exist") : Files.isDirectory(p) ? "a directory"
                : "not a regular file (a FIFO, socket or device)";
        String detail = "a segment's name on " + what + ": no segment, and its index entries lead nowhere";
        if (ctx.repair()) {
            detail += "; moved aside to " + PathQuarantine.move(ctx.io(), p).getFileName();
        }
        ctx.findings().problem(Fsck.Kind.NOT_A_FILE, p.getFileName().toString(), detail, ctx.repair());
    }

    /** {@code .deleted} files: the GC decided to evict them and a crash came first. */
    private void interruptedEvictions() throws IOException {
        boolean fix = ctx.repair() && ctx.index() != null;
        for (String name : ctx.io().list(ctx.dir())) {
            var parsed = SegmentPath.parse(name);
            if (parsed.isPresent() && parsed.get().state() == SegmentPath.State.DELETING && ctx.io().isRegularFile(ctx.dir().resolve(name))) {
                ctx.findings().problem(Fsck.Kind.INTERRUPTED_EVICTION, name, "an eviction a crash interrupted (an open finishes it:"
                        + " its remaining index entries go, then the file)", fix);
            }
        }
        if (fix) {
            new EvictionRecovery().finishOrRollBack(List.of(new StoreRecovery.Directory(ctx.dir(), ctx.io())), ctx.index());
        }
    }

    /**
     * Step 2 for an {@code .open} segment: a problem (an open recovers it). Repair recovers it
     * as an open would ({@link OpenSegmentRecovery}) and then checks it as sealed; without
     * repair, its records are what a strict scan keeps ({@link CorruptionPolicy#STRICT}).
     */
    private SealedSegmentCheck.Checked unsealed(SegmentPath sp) throws IOException {
        Path file = sp.in(ctx.dir());
        if (ctx.repair() && ctx.index() != null) {
            OpenSegmentRecovery.Report r = OpenSegmentRecovery.recover(ctx.io(), ctx.dir(), sp.segmentId(), ctx.index(),
                    ctx.onDisk()::contains);
            ctx.findings().problem(Fsck.Kind.UNSEALED_SEGMENT, sp.fileName(), "segment left open by a crash (an open recovers it)"
                    + (r.validEnd() == 0 ? "; it had no valid header, so nothing in it was acknowledged: set aside" : ""), true);
            return r.validEnd() == 0 ? null : SealedSegmentCheck.check(ctx, sp.as(SegmentPath.State.SEALED).in(ctx.dir()),
                    sp.segmentId());
        }
        int alignment;
        try (SegmentReader reader = SegmentReader.open(ctx.io(), file, sp.segmentId())) {
            alignment = reader.alignment();
        } catch (CorruptRecordException e) {
            ctx.findings().problem(Fsck.Kind.UNSEALED_SEGMENT, sp.fileName(), "segment left open by a crash, without a valid"
                    + " header (" + e.getMessage() + "): nothing in it was acknowledged; an open sets it aside", false);
            return null;
        }
        SegmentSalvage.Result scan = SegmentSalvage.scan(ctx.io(), file, sp.segmentId(), alignment, Long.MAX_VALUE,
                CorruptionPolicy.STRICT);
        List<SegmentFooter.Entry> records = new ArrayList<>();
        scan.records().forEach(f -> records.add(f.entry()));
        ctx.findings().problem(Fsck.Kind.UNSEALED_SEGMENT, sp.fileName(), "segment left open by a crash (an open recovers it,"
                + " keeping " + records.size() + " records)", false);
        ctx.findings().records += records.size();
        Map<Long, SegmentFooter.Entry> byOffset = new HashMap<>();
        for (SegmentFooter.Entry e : records) {
            BlockLocation l = e.location();
            byOffset.put(l.payloadOffset(), e);
        }
        return new SealedSegmentCheck.Checked(sp.segmentId(), file, byOffset, null, Map.of());
    }
}
