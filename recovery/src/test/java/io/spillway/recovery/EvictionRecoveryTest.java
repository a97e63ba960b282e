package io.spillway.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.index.BlockIndex;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.SegmentReader;
import io.spillway.testkit.RecordKeys;
import io.spillway.testkit.SegmentFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link EvictionRecovery}, as step 4 of {@link StoreRecovery}: an eviction a crash interrupted
 * after its commit point (the rename to {@code .deleted}) is rolled forward at the next open.
 */
class EvictionRecoveryTest {

    private static final int BLOCK = 64 << 10;
    /** About 14 blocks of 64 KiB per segment. */
    private static final long SEGMENT = 1L << 20;

    @TempDir
    Path dir;

    /**
     * A crash right after eviction step 2: segment S renamed to {@code .deleted} after two of its
     * blocks were copied forward. Recovery removes the entries still pointing into S (the copies
     * stay), forgets S's accounting and deletes the file; a second recovery changes nothing.
     * With S's footer destroyed, the entries into S are found by a pass over the index instead.
     */
    @ParameterizedTest(name = "footer readable={0}")
    @ValueSource(booleans = {true, false})
    void anEvictionInterruptedAfterItsCommitPointIsFinished(boolean footerReadable) throws Exception {
        Path data = dir.resolve("data");
        List<RecordKey> keys = RecordKeys.keys("evicted", 40);
        Path first;
        List<RecordKey> inFirst;
        try (StoreImage store = StoreImage.create(data, SEGMENT)) {
            for (int i = 0; i < keys.size(); i += 4) {
                store.dump(keys.subList(i, i + 4), BLOCK);
            }
            first = SegmentFiles.list(data, SegmentPath.State.SEALED).getFirst();
            inFirst = footer(store, first).stream().map(SegmentFooter.Entry::key).toList();
            store.relocate(inFirst.subList(0, 2), BLOCK); // eviction step 1: the blocks it keeps
        }
        long id = SegmentFiles.idOf(first);
        Path deleting = new SegmentPath(id, SegmentPath.State.DELETING).in(data);
        Files.move(first, deleting); // eviction step 2, then the crash
        if (!footerReadable) {
            try (FileChannel ch = FileChannel.open(deleting, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[4096]), ch.size() - 4096);
            }
        }
        Set<RecordKey> kept = keys.stream().filter(k -> !inFirst.subList(2, inFirst.size()).contains(k)).collect(Collectors.toSet());
        for (int round = 0; round < 2; round++) {
            try (StoreImage.Recovered r = StoreImage.recover(data)) {
                BlockIndex index = r.index();
                assertFalse(Files.exists(deleting), "the evicted file is deleted");
                assertEquals(List.of(), SegmentFiles.list(data, SegmentPath.State.DELETING));
                assertFalse(index.segmentStats().containsKey(id), "the evicted segment's accounting is forgotten");
                for (RecordKey k : keys) {
                    Optional<BlockLocation> loc = index.get(k);
                    assertEquals(kept.contains(k), loc.isPresent(), "key " + keys.indexOf(k) + " in round " + round);
                    loc.ifPresent(l -> assertTrue(l.segmentId() != id, "no entry points into the evicted segment"));
                }
            }
        }
    }

    private static List<SegmentFooter.Entry> footer(StoreImage store, Path sealed) throws IOException {
        try (SegmentReader r = SegmentReader.open(store.io(), sealed, SegmentFiles.idOf(sealed))) {
            return r.readFooter().entries();
        }
    }
}
