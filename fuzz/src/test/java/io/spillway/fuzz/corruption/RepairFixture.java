package io.spillway.fuzz.corruption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.IoFactory;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ChannelFileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The store {@link RepairMatrixTest} corrupts: a real {@link SegmentStore} of a few 1 MiB
 * segments, half of its blocks dumped under auto-commit and half under manual commit (so it has
 * a commit log), and where each record's header slot and payload lie in it.
 */
final class RepairFixture {

    static final int BLOCK = 32 << 10;
    static final int PER_SESSION = 48;
    static final int BATCH = 8;

    /**
     * One record as the pristine store has it.
     *
     * @param key its key
     * @param file its segment's file name
     * @param groupAt its group's offset
     * @param headerAt its record header's offset (in its group's header block)
     * @param location its payload
     */
    record Span(BlockKey key, String file, long groupAt, long headerAt, BlockLocation location) {
    }

    /** A pristine segment: its file name, length and where its data ends (its footer starts). */
    record Segment(String file, long length, long dataEnd) {
    }

    private RepairFixture() {
    }

    /** The store's config: one writer, so the layout is the same in every run. */
    static StoreConfig config(Path data, boolean autoCommit) {
        return StoreConfig.builder().storageBackend(data).segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1))
                .streamNumber(1).ioDirect(false).autoCommit(autoCommit).timeout(Duration.ofSeconds(30)).build();
    }

    static List<BlockKey> keys() {
        List<BlockKey> out = new ArrayList<>();
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < 2 * PER_SESSION; i++) {
            parent = BlockKey.chain(parent, new int[] {i, 7 * i}, "repair-matrix");
            out.add(parent);
        }
        return out;
    }

    /** Deterministic bytes for {@code key}. */
    static void fill(MemorySegment m, BlockKey key) {
        SplittableRandom r = new SplittableRandom(MemorySegment.ofArray(key.toBytes()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        for (long i = 0; i + 8 <= m.byteSize(); i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }

    static boolean matches(MemorySegment m, BlockKey key) {
        MemorySegment expected = Arena.ofAuto().allocate(m.byteSize());
        fill(expected, key);
        return m.mismatch(expected) == -1;
    }

    /** Writes the store into {@code data}: one auto-commit session, then one manual-commit session. */
    static void build(Path data) throws Exception {
        List<BlockKey> keys = keys();
        for (int session = 0; session < 2; session++) {
            boolean auto = session == 0;
            try (SegmentStore store = SegmentStore.open(config(data, auto)); Arena arena = Arena.ofShared()) {
                for (int i = session * PER_SESSION; i < (session + 1) * PER_SESSION; i += BATCH) {
                    List<BlockKey> batch = keys.subList(i, i + BATCH);
                    List<MemorySegment> src = new ArrayList<>();
                    for (BlockKey k : batch) {
                        MemorySegment m = arena.allocate(BLOCK, 4096);
                        fill(m, k);
                        src.add(m);
                    }
                    TaskResult r = store.dump(batch, src).await(Duration.ofSeconds(60));
                    assertNotNull(r);
                    assertTrue(r.allOk(), r.toString());
                    if (!auto) {
                        assertEquals(BATCH, store.commit(batch, true));
                    }
                }
            }
        }
    }

    /** Every record of the pristine store in {@code data}, from its segments' footers. */
    static List<Span> spans(Path data) throws IOException {
        ChannelFileIO io = new ChannelFileIO(4096);
        List<Span> out = new ArrayList<>();
        for (Path seg : segments(data)) {
            long id = SegmentPath.parse(seg.getFileName().toString()).orElseThrow().segmentId();
            SegmentFooter footer;
            int alignment;
            try (SegmentReader r = SegmentReader.open(io, seg, id)) {
                footer = r.readFooter();
                alignment = r.alignment();
            }
            // Groups tile the data area: a record's header slot follows from its group's first payload.
            List<SegmentFooter.Entry> entries = footer.entries();
            for (int i = 0; i < entries.size(); ) {
                int n = 1;
                while (i + n < entries.size() && entries.get(i + n).location().payloadOffset() == paddedEnd(entries.get(i + n - 1), alignment)) {
                    n++;
                }
                long group = entries.get(i).location().payloadOffset() - GroupHeader.headerBlockLength(n, alignment);
                for (int j = 0; j < n; j++) {
                    SegmentFooter.Entry e = entries.get(i + j);
                    out.add(new Span(BlockKey.of(e.key()), seg.getFileName().toString(), group,
                            group + GroupHeader.BYTES + (long) j * RecordHeader.BYTES, e.location()));
                }
                i += n;
            }
        }
        return out;
    }

    /** The pristine segments of {@code data}. */
    static List<Segment> segmentInfo(Path data) throws IOException {
        ChannelFileIO io = new ChannelFileIO(4096);
        List<Segment> out = new ArrayList<>();
        for (Path seg : segments(data)) {
            long id = SegmentPath.parse(seg.getFileName().toString()).orElseThrow().segmentId();
            try (SegmentReader r = SegmentReader.open(io, seg, id)) {
                out.add(new Segment(seg.getFileName().toString(), r.size(), r.readFooter().dataEnd()));
            }
        }
        return out;
    }

    private static long paddedEnd(SegmentFooter.Entry e, int alignment) {
        return e.location().payloadOffset() + SegmentLayout.alignUp(e.location().storedLength(), alignment);
    }

    /** The sealed segment files of {@code data}, by name. */
    static List<Path> segments(Path data) throws IOException {
        try (Stream<Path> s = Files.list(data)) {
            return s.filter(p -> SegmentPath.parse(p.getFileName().toString()).map(sp -> sp.state() == SegmentPath.State.SEALED)
                    .orElse(false)).sorted().toList();
        }
    }

    /**
     * Whether {@code span}'s record header and payload are byte for byte what {@code pristine}
     * has, in the store directory {@code data}: a record whose header and payload CRCs still check out.
     */
    static boolean intact(Span span, Path data, Map<String, byte[]> pristine) throws IOException {
        Path file = data.resolve(span.file());
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        byte[] now = Files.readAllBytes(file);
        byte[] then = pristine.get(span.file());
        long payloadEnd = span.location().payloadOffset() + span.location().storedLength();
        return payloadEnd <= now.length && same(now, then, span.headerAt(), RecordHeader.BYTES)
                && same(now, then, span.location().payloadOffset(), span.location().storedLength());
    }

    private static boolean same(byte[] a, byte[] b, long from, int len) {
        int f = Math.toIntExact(from);
        return Arrays.equals(a, f, f + len, b, f, f + len);
    }

    /** The bytes of every segment file of {@code data}, by name. */
    static Map<String, byte[]> snapshot(Path data) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        for (Path seg : segments(data)) {
            out.put(seg.getFileName().toString(), Files.readAllBytes(seg));
        }
        return out;
    }

    /** What loading every key of the store in {@code data} gave: the keys that loaded with their own bytes. */
    static List<BlockKey> loadAll(Path data, List<BlockKey> keys) throws Exception {
        List<BlockKey> ok = new ArrayList<>();
        try (SegmentStore store = SegmentStore.open(config(data, false), new SimpleMeterRegistry(), IoFactory.PROBING);
             Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                dst.add(arena.allocate(BLOCK, 4096));
            }
            TaskResult r = store.load(keys, dst).await(Duration.ofSeconds(60));
            assertNotNull(r, "the load did not complete");
            for (int i = 0; i < keys.size(); i++) {
                Outcome o = r.outcome(i);
                if (o == Outcome.OK) {
                    assertTrue(matches(dst.get(i), keys.get(i)), "a load returned wrong bytes for key " + i);
                    ok.add(keys.get(i));
                } else {
                    assertTrue(o == Outcome.MISSING || o == Outcome.CORRUPT, "key " + i + ": " + o + " " + r.details().get(i));
                }
            }
        }
        return ok;
    }

    /** Copies the store directory {@code from} to {@code to}: files, directories, and symbolic links as links. */
    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    /** Deletes a directory tree (symbolic links themselves, never their targets). */
    static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
