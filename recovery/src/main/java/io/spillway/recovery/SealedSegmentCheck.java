package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPadding;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Steps 2 and 3 of {@link Fsck} for one sealed segment: its header, footer, group and record
 * headers against the footer, and with {@code deep} its payloads and padding; and the plan that
 * repairs what it finds.
 *
 * <p>Every repair is planned as a {@link SegmentPatch}, and each later check reads the file
 * through the patch, as the repair will leave it. What is planned, in order:
 * <ol>
 *   <li>A damaged segment header: the header block {@link SegmentHeaderProof} proves. If nothing
 *       proves one, the file is moved aside ({@link PathQuarantine}) and its records are lost:
 *       none of them checks out as this segment's.
 *   <li>A footer that does not read. If a whole footer sits where the data ends, with bytes
 *       appended after it, the file is cut back to it. Otherwise the segment is resealed: its
 *       records are found by {@link SegmentSalvage} ({@link CorruptionPolicy#BEST_EFFORT}),
 *       laid out by {@link SalvageLayout} at their offsets, and a new footer written after the
 *       last valid one, whose liveness comes from the index (below).
 *   <li>A group header block that disagrees with the footer: rewritten from the footer, which
 *       lists every field of every record header.
 *   <li>Non-zero padding ({@code deep}): zeros.
 * </ol>
 * With {@code repair}, the patch is applied by {@link SegmentRewrite} (copy, fsync, verify,
 * rename, directory fsync), and a problem counts as repaired only once that succeeded. A
 * corrupt payload is not repaired here: the index entry goes ({@link IndexCrossCheck}).
 *
 * <p><b>Liveness of a resealed segment's records.</b> When the index knew the segment as sealed,
 * a record is live iff the index points at exactly it (deletes since sealing stay deleted).
 * Otherwise (the index predates the seal, or was rebuilt in this run) a record the index points
 * at is live, and so is the newest auto-commit record of a key that the index holds nowhere
 * else on disk, as recovery does for a sealed segment it scans. Fillers and records with a
 * damaged payload are never live.
 */
final class SealedSegmentCheck {

    /**
     * A checked segment, as the repair leaves it.
     *
     * @param byOffset its records by payload offset
     * @param footer its footer
     * @param corrupt the records whose payload failed its CRC, by payload offset ({@code deep})
     */
    record Checked(long id, Path file, Map<Long, SegmentFooter.Entry> byOffset, SegmentFooter footer,
                   Map<Long, SegmentFooter.Entry> corrupt) {
    }

    /** A problem found, reported once the repair's fate is known. */
    private record Pending(Fsck.Kind kind, String where, String detail, boolean fixable) {
    }

    private final FsckContext ctx;
    private final Path file;
    private final long id;
    private final String name;
    private final SegmentPatch patch = new SegmentPatch();
    private final List<Pending> pending = new ArrayList<>();
    private final Map<Long, SegmentFooter.Entry> corrupt = new TreeMap<>();
    private FileIO view;
    /** Set when the records found cannot be resealed: the footer is then only a list of them, not checked further. */
    private boolean unplannable;

    private SealedSegmentCheck(FsckContext ctx, Path file, long id) {
        this.ctx = ctx;
        this.file = file;
        this.id = id;
        this.name = file.getFileName().toString();
        this.view = ctx.io();
    }

    /** Checks (and with {@code repair} fixes) sealed segment {@code id} in {@code file}; null if it had to be moved aside. */
    static Checked check(FsckContext ctx, Path file, long id) throws IOException {
        return new SealedSegmentCheck(ctx, file, id).run();
    }

    private Checked run() throws IOException {
        Integer alignment = header();
        if (alignment == null) {
            return null;
        }
        SegmentFooter footer = footer(alignment);
        ctx.findings().records += footer.entries().size();
        if (!unplannable) {
            headersAgainstFooter(footer, alignment);
        }
        if (ctx.deep()) {
            payloads(footer);
            if (!unplannable) {
                padding(footer);
            }
        }
        commit();
        Map<Long, SegmentFooter.Entry> byOffset = new HashMap<>();
        for (SegmentFooter.Entry e : footer.entries()) {
            byOffset.put(e.location().payloadOffset(), e);
        }
        return new Checked(id, file, byOffset, footer, Map.copyOf(corrupt));
    }

    /** Plan step 1: the header's alignment, or null if the file was moved aside. */
    private Integer header() throws IOException {
        try (SegmentReader r = SegmentReader.open(view, file, id)) {
            return r.alignment();
        } catch (CorruptRecordException e) {
            var proof = SegmentHeaderProof.prove(ctx.io(), file, id, ctx.storeAlignment());
            if (proof.isEmpty()) {
                String fate = "nothing in it checks out as segment " + id + " (no footer, group or record header, under any"
                        + " alignment): its records are lost";
                boolean moved = false;
                if (ctx.repair()) {
                    fate += "; moved aside to " + PathQuarantine.move(ctx.io(), file).getFileName();
                    moved = true;
                }
                ctx.findings().problem(Fsck.Kind.BAD_SEGMENT, name, e.getMessage() + "; " + fate, moved);
                return null;
            }
            pending.add(new Pending(Fsck.Kind.BAD_SEGMENT, name, e.getMessage() + "; " + proof.get().evidence() + " prove segment "
                    + id + " with alignment " + proof.get().alignment() + " (repair rewrites the header block)", true));
            patch.write(0, proof.get().block());
            view = patch.view(ctx.io(), file);
            return proof.get().alignment();
        }
    }

    /** Plan step 2: the footer as the repair leaves it. */
    private SegmentFooter footer(int alignment) throws IOException {
        try (SegmentReader r = SegmentReader.open(view, file, id)) {
            return r.readFooter();
        } catch (CorruptRecordException e) {
            long size = size();
            OptionalLong intact = footerBefore(alignment, size);
            if (intact.isPresent()) {
                patch.length(intact.getAsLong());
                pending.add(new Pending(Fsck.Kind.BAD_FOOTER, name, e.getMessage() + "; its footer is whole but " + (size - intact.getAsLong())
                        + " bytes follow it (appended): repair cuts the file back to " + intact.getAsLong(), true));
                return reread();
            }
            return reseal(e, alignment, size);
        }
    }

    /** The length of a whole footer at the end of the data, followed by other bytes; empty if there is none. */
    private OptionalLong footerBefore(int alignment, long size) throws IOException {
        long pos = SegmentScanner.scan(view, file, id, false, size).validEnd();
        long count;
        try (StoreFile f = view.openRead(file); Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(SegmentFooter.HEADER_BYTES);
            if (f.read(head, pos) < SegmentFooter.HEADER_BYTES
                    || head.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getInt(0) != SegmentFooter.MAGIC) {
                return OptionalLong.empty();
            }
            count = head.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong(24);
        }
        if (count < 0 || count > (size - pos) / SegmentFooter.ENTRY_BYTES) {
            return OptionalLong.empty();
        }
        long end = pos + SegmentLayout.footerLength(count, alignment);
        if (end >= size) {
            return OptionalLong.empty();
        }
        SegmentPatch candidate = patch.copy();
        candidate.length(end);
        try (SegmentReader r = SegmentReader.open(candidate.view(ctx.io(), file), file, id)) {
            r.readFooter(); // its CRCs and fields check out: exactly the footer that was written there
            return OptionalLong.of(end);
        } catch (CorruptRecordException notAFooter) {
            return OptionalLong.empty();
        }
    }

    /** Plan step 2 without a footer: salvage, lay out, reseal. */
    private SegmentFooter reseal(CorruptRecordException why, int alignment, long size) throws IOException {
        SegmentSalvage.Result found = SegmentSalvage.scan(view, file, id, alignment, size, CorruptionPolicy.BEST_EFFORT);
        SalvageLayout.Layout layout;
        try {
            layout = SalvageLayout.plan(view, file, id, alignment, found);
        } catch (SalvageLayout.CannotLayOutException e) {
            pending.add(new Pending(Fsck.Kind.BAD_FOOTER, name, why.getMessage() + "; its records cannot be resealed in place ("
                    + e.getMessage() + ")", false));
            unplannable = true;
            return new SegmentFooter(id, size, found.records().stream().map(SegmentSalvage.Found::entry).toList());
        }
        List<SegmentFooter.Entry> entries = layout.slots().stream().map(SalvageLayout.Slot::entry).toList();
        SegmentFooter footer = new SegmentFooter(id, layout.dataEnd(), SegmentFooter.markLiveness(entries, liveness(layout)));
        byte[] encoded = footer.encode(alignment);
        for (SegmentPatch.Write w : layout.headerBlocks()) {
            patch.write(w.offset(), w.bytes());
        }
        patch.write(layout.dataEnd(), encoded);
        patch.length(layout.dataEnd() + encoded.length);
        pending.add(new Pending(Fsck.Kind.BAD_FOOTER, name, why.getMessage() + "; a scan of its groups finds "
                + layout.count(SalvageLayout.Kind.RECORD) + " valid records, " + layout.count(SalvageLayout.Kind.DEAD)
                + " with a damaged payload, " + found.lostSlots() + " record headers that do not check out"
                + (found.lostRegions().isEmpty() ? "" : ", nothing readable in " + found.lostRegions())
                + ": repair reseals it with its data ending at " + layout.dataEnd()
                + (layout.count(SalvageLayout.Kind.FILLER) > 0 ? " and " + layout.count(SalvageLayout.Kind.FILLER)
                + " filler record(s) over what was lost" : ""), true));
        return reread();
    }

    /** The liveness of a resealed segment's records; see the class comment. */
    private boolean[] liveness(SalvageLayout.Layout layout) throws IOException {
        List<SalvageLayout.Slot> slots = layout.slots();
        boolean[] live = new boolean[slots.size()];
        if (ctx.index() == null) {
            return live;
        }
        boolean[] pointed = ctx.index().pointsAt(slots.stream().map(SalvageLayout.Slot::entry).toList());
        Map<RecordKey, Integer> newest = new HashMap<>();
        for (int i = 0; i < slots.size(); i++) {
            SalvageLayout.Slot s = slots.get(i);
            live[i] = s.kind() == SalvageLayout.Kind.RECORD && pointed[i];
            if (s.kind() == SalvageLayout.Kind.RECORD && (s.entry().location().flags() & RecordFlags.AUTO_COMMIT) != 0) {
                newest.put(s.entry().key(), i);
            }
        }
        if (!ctx.indexKnowsSealed(id) && !newest.isEmpty()) {
            List<RecordKey> keys = List.copyOf(newest.keySet());
            List<BlockLocation> current = ctx.index().getAll(keys);
            for (int k = 0; k < keys.size(); k++) {
                BlockLocation cur = current.get(k);
                // An entry into another segment on disk is never overwritten; one into a segment
                // that is gone is no copy at all; one into this segment decided above.
                if (cur == null || !ctx.onDisk().contains(cur.segmentId())) {
                    live[newest.get(keys.get(k))] = true;
                }
            }
        }
        return live;
    }

    /** Plan step 3: every group header block agrees with the footer, or is rewritten from it. */
    private void headersAgainstFooter(SegmentFooter footer, int alignment) throws IOException {
        for (int attempt = 0; attempt <= footer.entries().size(); attempt++) {
            SegmentScanner.Result scan = SegmentScanner.scan(view, file, id, false, footer.dataEnd());
            String disagreement = GroupHeaderRepair.disagreement(scan, footer);
            if (disagreement == null) {
                return;
            }
            long at = scan.validEnd();
            byte[] block = GroupHeaderRepair.fromFooter(id, at, footer, alignment);
            pending.add(new Pending(Fsck.Kind.CORRUPT_HEADER, name + " group at " + at, disagreement, block != null));
            if (block == null) {
                return;
            }
            patch.write(at, block);
            view = patch.view(ctx.io(), file);
        }
    }

    /** Plan step 4, payloads: each footer entry's CRC. */
    private void payloads(SegmentFooter footer) throws IOException {
        try (SegmentReader reader = SegmentReader.open(view, file, id); Arena arena = Arena.ofConfined()) {
            int unit = Math.max(view.alignment(), 4096);
            MemorySegment buf = arena.allocate(1 << 20, unit);
            for (SegmentFooter.Entry e : footer.entries()) {
                BlockLocation loc = e.location();
                long need = SegmentLayout.alignUp(loc.storedLength(), unit);
                if (buf.byteSize() < need) {
                    buf = arena.allocate(need, unit);
                }
                ctx.findings().payloads++;
                try {
                    reader.readVerified(loc, buf);
                } catch (CorruptRecordException ex) {
                    corrupt.put(loc.payloadOffset(), e);
                }
            }
        }
    }

    /** Plan step 4, padding: zeros where the format has no field. */
    private void padding(SegmentFooter footer) throws IOException {
        SegmentPadding.Result pad;
        try (SegmentReader reader = SegmentReader.open(view, file, id)) {
            pad = SegmentPadding.check(reader, footer);
        }
        if (pad.layoutProblem() != null) {
            pending.add(new Pending(Fsck.Kind.BAD_FOOTER, name, "the footer's entries do not tile the data area: "
                    + pad.layoutProblem().getMessage() + " (padding inside groups not checked)", false));
        }
        for (SegmentPadding.Range r : pad.nonZero()) {
            patch.zero(r.offset(), r.length());
            pending.add(new Pending(Fsck.Kind.NONZERO_PADDING, name + " offset " + r.offset(), "non-zero bytes in " + r
                    + ", padding the format requires to be zeros", true));
        }
    }

    /** Applies the patch (with {@code repair}) and reports every problem with its outcome. */
    private void commit() throws IOException {
        boolean written = false;
        String failure = null;
        if (ctx.repair() && !patch.isEmpty() && pending.stream().anyMatch(Pending::fixable)) {
            try {
                SegmentRewrite.apply(ctx.io(), file, id, patch, SealedSegmentCheck::verify);
                written = true;
            } catch (IOException e) {
                failure = e.getMessage();
            }
        }
        for (Pending p : pending) {
            ctx.findings().problem(p.kind(), p.where(), p.detail() + (failure != null && p.fixable() ? " (repair failed: "
                    + failure + ")" : ""), written && p.fixable());
        }
    }

    /** {@link SegmentRewrite}'s step 4: the repaired copy's header, footer, group headers and padding all check out. */
    static void verify(FileIO io, Path copy, long segmentId) throws IOException {
        try (SegmentReader reader = SegmentReader.open(io, copy, segmentId)) {
            SegmentFooter footer = reader.readFooter();
            String disagreement = GroupHeaderRepair.disagreement(SegmentScanner.scan(io, copy, segmentId, false, footer.dataEnd()),
                    footer);
            if (disagreement != null) {
                throw new CorruptRecordException(0, "the repaired copy's group headers disagree with its footer: " + disagreement);
            }
            SegmentPadding.Result pad = SegmentPadding.check(reader, footer);
            if (!pad.clean()) {
                throw new CorruptRecordException(0, "the repaired copy's padding does not check out: " + pad);
            }
        }
    }

    private long size() throws IOException {
        try (StoreFile f = view.openRead(file)) {
            return f.size();
        }
    }

    /** The footer through the patch: the plan's own check that what it will write reads back. */
    private SegmentFooter reread() throws IOException {
        view = patch.view(ctx.io(), file);
        try (SegmentReader r = SegmentReader.open(view, file, id)) {
            return r.readFooter();
        }
    }
}
