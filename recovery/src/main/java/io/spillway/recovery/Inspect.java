package io.spillway.recovery;

import io.spillway.index.BlockIndex;
import io.spillway.index.IndexException;
import io.spillway.index.IndexOptions;
import io.spillway.segments.RecordKey;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentHeader;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.SegmentScanner;
import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Read-only views of a store for operators: {@code spillway inspect}. Reads segment files with
 * plain buffered IO and never writes; it works on a store that is open elsewhere (it reads only
 * sealed bytes and the open segments' valid prefixes), except that a key's index entry can only
 * be read while no process holds the index.
 */
public final class Inspect {

    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final FileIO io;

    public Inspect(Path dir) {
        this.dir = dir;
        this.io = DirectIoProbe.forDirectory(dir, false, 4096);
    }

    /** Every segment: id, state, length, header and footer summary, in id order. */
    public String segments() throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-18s %-6s %12s %6s %8s %8s  %s%n", "segment", "state", "bytes", "align", "records", "live", "footer"));
        for (SegmentPath sp : list().values()) {
            Path f = sp.in(dir);
            String state = sp.state() == SegmentPath.State.OPEN ? "open" : "sealed";
            try (SegmentReader r = SegmentReader.open(io, f, sp.segmentId())) {
                String footer;
                String recs;
                String live;
                if (sp.state() == SegmentPath.State.SEALED) {
                    try {
                        SegmentFooter ft = r.readFooter();
                        footer = "dataEnd " + ft.dataEnd();
                        recs = String.valueOf(ft.entries().size());
                        live = String.valueOf(ft.liveEntries().size());
                    } catch (CorruptRecordException e) {
                        footer = "INVALID: " + e.getMessage();
                        recs = "?";
                        live = "?";
                    }
                } else {
                    SegmentScanner.Result s = SegmentScanner.scan(io, f, sp.segmentId(), false, Long.MAX_VALUE);
                    footer = "none (open; headers valid up to " + s.validEnd() + ", " + s.stop() + ")";
                    recs = String.valueOf(s.records().size());
                    live = "-";
                }
                sb.append(String.format("%016x   %-6s %12d %6d %8s %8s  %s%n", sp.segmentId(), state, r.size(), r.alignment(), recs,
                        live, footer));
            } catch (CorruptRecordException e) {
                sb.append(String.format("%016x   %-6s %12d %6s %8s %8s  UNREADABLE HEADER: %s%n", sp.segmentId(), state,
                        Files.size(f), "?", "?", "?", e.getMessage()));
            }
        }
        return sb.toString();
    }

    /** One segment: its header, footer and every record (from the footer, or a scan of an open one). */
    public String segment(long id) throws IOException {
        SegmentPath sp = list().get(id);
        if (sp == null) {
            throw new NoSuchFileException("segment " + id + " (" + new SegmentPath(id, SegmentPath.State.SEALED).fileName()
                    + ") is not in " + dir);
        }
        Path f = sp.in(dir);
        StringBuilder sb = new StringBuilder();
        SegmentHeader h = readHeader(f);
        sb.append("file        ").append(f).append('\n');
        sb.append("length      ").append(Files.size(f)).append('\n');
        sb.append("header      segment ").append(h.segmentId()).append(", alignment ").append(h.alignment()).append(", created ")
                .append(Instant.ofEpochMilli(h.createdMillis())).append('\n');
        List<SegmentFooter.Entry> records = records(sp, sb);
        sb.append(String.format("%n%5s %12s %-64s %10s %10s %10s %-5s %s%n", "#", "offset", "key", "stored", "raw", "crc32c", "codec", "flags"));
        int i = 0;
        for (SegmentFooter.Entry e : records) {
            BlockLocation l = e.location();
            String filler = FillerRecord.is(e) ? " (filler written by fsck --repair)" : "";
            sb.append(String.format("%5d %12d %-64s %10d %10d   %08x %-5s %s%n", i++, l.payloadOffset(), e.key().toHex(), l.storedLength(),
                    l.rawLength(), l.payloadCrc(), l.codec(), flags(l.flags()) + filler));
        }
        return sb.toString();
    }

    /**
     * Where {@code key} is: its index entry (when the index can be opened), every record of it in
     * the segments, and the hex of each record's header.
     */
    public String key(RecordKey key, Path indexDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("key    ").append(key.toHex()).append('\n');
        Optional<BlockLocation> indexed = Optional.empty();
        if (indexDir != null && Files.isDirectory(indexDir)) {
            try (BlockIndex index = BlockIndex.open(indexDir, new IndexOptions(8L << 20, false))) {
                indexed = index.get(key);
                sb.append("index  ").append(indexed.map(Inspect::describe).orElse("not indexed")).append('\n');
            } catch (IndexException e) {
                sb.append("index  cannot be read (").append(e.getMessage()).append("; is the store open?)\n");
            }
        }
        for (SegmentPath sp : list().values()) {
            List<SegmentFooter.Entry> records = records(sp, new StringBuilder());
            for (int i = 0; i < records.size(); i++) {
                SegmentFooter.Entry e = records.get(i);
                if (!e.key().equals(key)) {
                    continue;
                }
                boolean current = indexed.isPresent() && indexed.get().segmentId() == sp.segmentId()
                        && indexed.get().payloadOffset() == e.location().payloadOffset();
                sb.append("record ").append(describe(e.location())).append(current ? "  <- the index points here" : "").append('\n');
                long headerAt = headerOffset(records, i, readHeader(sp.in(dir)).alignment());
                byte[] raw = new byte[RecordHeader.BYTES];
                try (FileChannel ch = FileChannel.open(sp.in(dir))) {
                    ch.read(ByteBuffer.wrap(raw), headerAt);
                }
                sb.append("       record header at offset ").append(headerAt).append(":\n");
                for (int o = 0; o < raw.length; o += 32) {
                    sb.append(String.format("       %04x  %s%n", o, HEX.formatHex(raw, o, Math.min(raw.length, o + 32))));
                }
            }
        }
        return sb.toString();
    }

    private static String describe(BlockLocation l) {
        return String.format("segment %016x offset %d stored %d raw %d crc32c %08x codec %s flags %s", l.segmentId(), l.payloadOffset(),
                l.storedLength(), l.rawLength(), l.payloadCrc(), l.codec(), flags(l.flags()));
    }

    private static String flags(int f) {
        List<String> out = new ArrayList<>();
        if ((f & RecordFlags.AUTO_COMMIT) != 0) {
            out.add("AUTO_COMMIT");
        }
        if ((f & RecordFlags.NOT_LIVE) != 0) {
            out.add("NOT_LIVE");
        }
        return out.isEmpty() ? "-" : String.join("|", out);
    }

    /** Where record {@code i}'s header is: groups are runs of back-to-back payloads after their header block. */
    private static long headerOffset(List<SegmentFooter.Entry> records, int i, int alignment) {
        int start = i;
        while (start > 0) {
            BlockLocation prev = records.get(start - 1).location();
            if (prev.payloadOffset() + SegmentLayout.alignUp(prev.storedLength(), alignment) != records.get(start).location().payloadOffset()) {
                break;
            }
            start--;
        }
        int end = i;
        while (end + 1 < records.size()) {
            BlockLocation cur = records.get(end).location();
            if (cur.payloadOffset() + SegmentLayout.alignUp(cur.storedLength(), alignment) != records.get(end + 1).location().payloadOffset()) {
                break;
            }
            end++;
        }
        long groupOffset = records.get(start).location().payloadOffset() - GroupHeader.headerBlockLength(end - start + 1, alignment);
        return groupOffset + GroupHeader.BYTES + (long) (i - start) * RecordHeader.BYTES;
    }

    /** A segment's records: from its footer, or from a scan (an open segment, or a sealed one whose footer is bad). */
    private List<SegmentFooter.Entry> records(SegmentPath sp, StringBuilder sb) throws IOException {
        Path f = sp.in(dir);
        if (sp.state() == SegmentPath.State.SEALED) {
            try (SegmentReader r = SegmentReader.open(io, f, sp.segmentId())) {
                SegmentFooter ft = r.readFooter();
                sb.append("footer      dataEnd ").append(ft.dataEnd()).append(", ").append(ft.entries().size()).append(" records, ")
                        .append(ft.liveEntries().size()).append(" live\n");
                return ft.entries();
            } catch (CorruptRecordException e) {
                sb.append("footer      INVALID (").append(e.getMessage()).append("); records below are from a scan\n");
            }
        } else {
            sb.append("footer      none: the segment is open; records below are from a scan\n");
        }
        SegmentScanner.Result s = SegmentScanner.scan(io, f, sp.segmentId(), false, Long.MAX_VALUE);
        sb.append("scan        valid up to ").append(s.validEnd()).append(" (").append(s.stop())
                .append(s.problem() == null ? "" : ": " + s.problem().getMessage()).append(")\n");
        return s.records();
    }

    private SegmentHeader readHeader(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ByteBuffer.allocate(SegmentHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            b.flip();
            return SegmentHeader.decode(b);
        }
    }

    private TreeMap<Long, SegmentPath> list() throws IOException {
        TreeMap<Long, SegmentPath> out = new TreeMap<>();
        for (String name : io.list(dir)) {
            SegmentPath.parse(name).ifPresent(p -> out.merge(p.segmentId(), p,
                    (a, b) -> a.state() == SegmentPath.State.SEALED ? a : b));
        }
        return out;
    }
}
