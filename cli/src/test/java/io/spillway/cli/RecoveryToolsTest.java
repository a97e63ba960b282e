package io.spillway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.StoreFixture;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.index.BlockIndex;
import io.spillway.index.IndexOptions;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.Codec;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** fsck finds each planted problem and --repair fixes it; rebuild-index reproduces the index; inspect shows it. */
class RecoveryToolsTest {

    private static final int BLOCK = 64 << 10;

    @TempDir
    Path root;

    private Path data;
    private List<BlockKey> keys;

    @BeforeEach
    void store() throws Exception {
        keys = StoreFixture.keys("tools", 160);
        data = root.resolve("data");
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(root).streamNumber(1).build()); Arena arena = Arena.ofShared()) {
            for (int i = 0; i < keys.size(); i += 8) {
                List<BlockKey> k = keys.subList(i, i + 8);
                assertTrue(StoreFixture.await(store.dump(k, Payloads.buffers(arena, k, BLOCK))).allOk());
            }
        }
        assertEquals(2, SegmentFiles.list(data, SegmentPath.State.SEALED).size());
    }

    /** Exit code and stdout of a CLI run. */
    private record Run(int code, String out) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = SpillwayCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int code = cl.execute(args);
        return new Run(code, out.toString());
    }

    private Run fsck(String... flags) {
        String[] args = new String[flags.length + 2];
        args[0] = "fsck";
        args[1] = data.toString();
        System.arraycopy(flags, 0, args, 2, flags.length);
        return cli(args);
    }

    private SegmentFooter footer(Path segment) throws Exception {
        long id = SegmentPath.parse(segment.getFileName().toString()).orElseThrow().segmentId();
        try (SegmentReader r = SegmentReader.open(new ChannelFileIO(4096), segment, id)) {
            return r.readFooter();
        }
    }

    private static void flip(Path file, long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            ch.write(b.flip(), offset);
        }
    }

    /** Which keys load back (OK and byte-identical); fails on any wrong byte. */
    private Set<BlockKey> loadable() throws Exception {
        Set<BlockKey> ok = new HashSet<>();
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(root).build()); Arena arena = Arena.ofShared()) {
            List<MemorySegment> dst = Payloads.empty(arena, keys.size(), BLOCK);
            TaskResult r = StoreFixture.await(store.load(keys, dst));
            for (int i = 0; i < keys.size(); i++) {
                if (r.outcome(i) == Outcome.OK) {
                    assertTrue(Payloads.matches(dst.get(i), keys.get(i)), "wrong bytes for key " + i);
                    ok.add(keys.get(i));
                }
            }
        }
        return ok;
    }

    @Test
    void cleanStoreIsCleanAndAnOpenStoreIsRefused() throws Exception {
        Run r = fsck("--deep");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("160 payloads verified") && r.out().contains("0 problem(s)"), r.out());
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(root).build())) {
            Run refused = fsck();
            assertEquals(2, refused.code(), refused.out());
            assertTrue(refused.out().contains("pid " + ProcessHandle.current().pid()), refused.out());
        }
        assertEquals(2, cli("fsck", root.resolve("nowhere").toString()).code());
    }

    @Test
    void flippedPayloadByteIsFoundByDeepAndRepairUnindexesIt() throws Exception {
        Path seg = SegmentFiles.list(data, SegmentPath.State.SEALED).getFirst();
        SegmentFooter.Entry victim = footer(seg).entries().get(5);
        flip(seg, victim.location().payloadOffset() + 100);
        assertEquals(0, fsck().code(), "without --deep payloads are not read");
        Run found = fsck("--deep");
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("CORRUPT_PAYLOAD") && found.out().contains(victim.key().toHex()), found.out());
        Run repaired = fsck("--deep", "--repair");
        assertEquals(1, repaired.code(), repaired.out());
        assertTrue(repaired.out().contains("[repaired]"), repaired.out());
        Run after = fsck("--deep");
        assertEquals(0, after.code(), after.out());
        Set<BlockKey> ok = loadable();
        assertEquals(keys.size() - 1, ok.size());
        assertFalse(ok.contains(victim.key()));
    }

    @Test
    void flippedHeaderByteIsFoundAndRewrittenFromTheFooter() throws Exception {
        Path seg = SegmentFiles.list(data, SegmentPath.State.SEALED).getLast();
        byte[] before = Files.readAllBytes(seg);
        flip(seg, 4096 + 64 + 96 + 20); // the second record header of the first group
        Run found = fsck();
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("CORRUPT_HEADER"), found.out());
        Run repaired = fsck("--repair");
        assertEquals(1, repaired.code(), repaired.out());
        assertTrue(repaired.out().contains("[repaired]"), repaired.out());
        assertEquals(-1, java.util.Arrays.mismatch(before, Files.readAllBytes(seg)), "the header block is rewritten exactly");
        assertEquals(0, fsck("--deep").code());
    }

    @Test
    void nonZeroPaddingIsFoundByDeepAndRepairZeroesIt() throws Exception {
        Path seg = SegmentFiles.list(data, SegmentPath.State.SEALED).getFirst();
        byte[] before = Files.readAllBytes(seg);
        long offset = 2048; // in the segment header block, past the header: padding at any alignment of 4 KiB or more
        flip(seg, offset);
        assertEquals(0, fsck().code(), "without --deep padding is not read");
        Run found = fsck("--deep");
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("NONZERO_PADDING " + seg.getFileName() + " offset " + offset)
                && found.out().contains("SEGMENT_HEADER_BLOCK"), found.out());
        Run repaired = fsck("--deep", "--repair");
        assertEquals(1, repaired.code(), repaired.out());
        assertTrue(repaired.out().contains("NONZERO_PADDING") && repaired.out().contains("[repaired]"), repaired.out());
        assertEquals(-1, java.util.Arrays.mismatch(before, Files.readAllBytes(seg)), "the padding is zeros again");
        Run after = fsck("--deep");
        assertEquals(0, after.code(), after.out());
        assertEquals(keys.size(), loadable().size());
    }

    @Test
    void danglingIndexEntryIsFoundAndRemoved() throws Exception {
        BlockKey ghost = StoreFixture.keys("ghost", 1).getFirst();
        try (BlockIndex index = BlockIndex.open(data.resolve("index"), new IndexOptions(8L << 20, false));
             BlockIndex.Batch b = index.batch()) {
            b.put(ghost, new BlockLocation(1, 4096L * 333, BLOCK, BLOCK, 0x1234, Codec.NONE, 1, 0));
            index.write(b, true);
        }
        Run found = fsck();
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("DANGLING_ENTRY") && found.out().contains(ghost.toHex()), found.out());
        assertEquals(1, fsck("--repair").code());
        assertEquals(0, fsck().code());
        assertEquals(keys.size(), loadable().size());
    }

    @Test
    void missingSegmentIsFoundAndItsEntriesRemoved() throws Exception {
        Path seg = SegmentFiles.list(data, SegmentPath.State.SEALED).getLast();
        int lost = footer(seg).liveEntries().size();
        Files.delete(seg);
        Run found = fsck();
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("MISSING_SEGMENT") && found.out().contains(lost + " index entries"), found.out());
        assertEquals(1, fsck("--repair").code());
        assertEquals(0, fsck().code());
        assertEquals(keys.size() - lost, loadable().size());
    }

    @Test
    void foreignFilesAreReportedAndNeverTouchedWhileOurTemporaryFilesAreRepaired() throws Exception {
        Files.writeString(data.resolve("notes.txt"), "mine");
        Files.writeString(data.resolve(".nfs00000000deadbeef00000001"), "silly");
        Files.writeString(data.resolve(".spillway-probe-99-abc"), "probe");
        Run found = fsck();
        assertEquals(1, found.code(), found.out());
        assertTrue(found.out().contains("foreign file notes.txt") && found.out().contains("NFS silly-rename")
                && found.out().contains("TEMP_FILE"), found.out());
        assertEquals(1, fsck("--repair").code());
        Run after = fsck();
        assertEquals(0, after.code(), after.out());
        assertTrue(after.out().contains("foreign file notes.txt"), after.out());
        assertEquals("mine", Files.readString(data.resolve("notes.txt")));
        assertEquals("silly", Files.readString(data.resolve(".nfs00000000deadbeef00000001")));
        assertFalse(Files.exists(data.resolve(".spillway-probe-99-abc")));
    }

    private Map<String, String> indexEntries() throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (BlockIndex index = BlockIndex.open(data.resolve("index"), new IndexOptions(8L << 20, false))) {
            index.forEach((k, loc) -> {
                out.put(k.toHex(), String.valueOf(loc));
                return true;
            });
        }
        return out;
    }

    @Test
    void rebuildIndexReproducesTheSameIndexAndKeepsTheOldOne() throws Exception {
        try (SegmentStore store = SegmentStore.open(StoreFixture.config(root).build())) {
            assertEquals(8, store.delete(keys.subList(0, 8))); // after sealing: the footers still list them live
        }
        Map<String, String> before = indexEntries();
        assertEquals(keys.size() - 8, before.size());
        Run r = cli("rebuild-index", data.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("the old index is kept at"), r.out());
        try (Stream<Path> s = Files.list(data)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("index.old-")).count());
        }
        Map<String, String> after = indexEntries();
        // Deletes after sealing live only in the index: a rebuild from footers brings those 8 back.
        // Everything else is the same keys at the same locations.
        assertEquals(keys.size(), after.size());
        before.forEach((k, v) -> assertEquals(v, after.get(k), k));
        assertEquals(0, fsck("--deep").code());
    }

    @Test
    void rebuildIndexOfAnUntouchedStoreIsIdentical() throws Exception {
        Map<String, String> before = indexEntries();
        Run r = cli("rebuild-index", data.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains(keys.size() + " entries"), r.out());
        assertEquals(before, indexEntries());
    }

    @Test
    void inspectShowsSegmentsRecordsAndAKeysHeader() throws Exception {
        Run all = cli("inspect", data.toString());
        assertEquals(0, all.code(), all.out());
        assertTrue(all.out().contains("sealed") && all.out().contains("dataEnd"), all.out());
        Run one = cli("inspect", data.toString(), "--segment", "1");
        assertEquals(0, one.code(), one.out());
        assertTrue(one.out().contains(keys.getFirst().toHex()) && one.out().contains("AUTO_COMMIT"), one.out());
        Run key = cli("inspect", data.toString(), "--key", keys.get(3).toHex());
        assertEquals(0, key.code(), key.out());
        assertTrue(key.out().contains("the index points here") && key.out().contains("record header at offset"), key.out());
        // 'SPWR' magic starts every record header.
        assertTrue(key.out().contains("53505752"), key.out());
    }
}
