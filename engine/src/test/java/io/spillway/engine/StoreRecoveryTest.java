package io.spillway.engine;

import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.recovery.StoreRecovery;
import io.spillway.engine.api.BlockKey;
import io.spillway.segments.RecordKey;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.FileTrees;
import io.spillway.testkit.Payloads;
import io.spillway.testkit.SegmentFiles;
import io.spillway.testkit.io.FaultyFileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's open path end to end, after crashes and lost indexes: what the engine's own
 * write path (commits, rollbacks, failed syncs, the commit log, the clean-shutdown marker)
 * leaves for recovery. Recovery's own cases (torn and garbled open segments, lost, broken and
 * stale indexes, temporary files) are recovery's StoreRecoveryTest, over stores built without
 * the engine.
 */
class StoreRecoveryTest {

    private static final int BLOCK = 16 << 10;

    @TempDir
    Path dir;

    private Arena arena;

    @BeforeEach
    void arena() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void free() {
        arena.close();
    }

    private static StoreConfig.Builder config(Path root) {
        return StoreFixture.config(root).streamNumber(1);
    }

    private void dumpAll(SegmentStore store, List<BlockKey> keys, int perTask, int size) throws Exception {
        for (int i = 0; i < keys.size(); i += perTask) {
            List<BlockKey> k = keys.subList(i, Math.min(keys.size(), i + perTask));
            TaskResult r = StoreFixture.await(store.dump(k, Payloads.buffers(arena, k, size)));
            assertTrue(r.allOk() && r.durable(), r::toString);
        }
    }

    /** Loads every key: those in {@code expected} must load byte-identical, no other may load at all. */
    private void assertExactly(SegmentStore store, List<BlockKey> all, Set<? extends RecordKey> expected, int size) throws Exception {
        BitSet hits = store.lookup(all);
        List<MemorySegment> dst = Payloads.empty(arena, all.size(), size);
        TaskResult r = StoreFixture.await(store.load(all, dst));
        for (int i = 0; i < all.size(); i++) {
            BlockKey k = all.get(i);
            assertEquals(expected.contains(k), hits.get(i), "lookup of key " + i);
            if (r.outcome(i) == Outcome.OK) {
                assertTrue(Payloads.matches(dst.get(i), k), "key " + i + " loaded wrong bytes");
            }
            assertEquals(expected.contains(k) ? Outcome.OK : Outcome.MISSING, r.outcome(i), "load of key " + i);
        }
    }

    /** Commit status of sealed segments lives in their footers too: a rolled-back dump stays invisible after a rebuild. */
    @Test
    void rolledBackDumpsStayInvisibleWhenTheIndexIsLost() throws Exception {
        List<BlockKey> committed = StoreFixture.keys("committed", 20);
        List<BlockKey> rolledBack = StoreFixture.keys("rolled-back", 20);
        Path root = dir.resolve("store");
        StoreConfig manual = config(root).autoCommit(false).build();
        try (SegmentStore store = SegmentStore.open(manual)) {
            dumpAll(store, committed, 4, BLOCK);
            store.commit(committed, true);
            dumpAll(store, rolledBack, 4, BLOCK);
            store.commit(rolledBack, false);
        }
        FileTrees.deleteRecursively(root.resolve("data").resolve("index"));
        List<BlockKey> all = new ArrayList<>(committed);
        all.addAll(rolledBack);
        try (SegmentStore store = SegmentStore.open(manual)) {
            assertExactly(store, all, new HashSet<>(committed), BLOCK);
        }
    }

    /**
     * Manual commits taken after their segment sealed (its footer lists them not live), or in a
     * segment still open at a crash, come back from the commit log when the index is lost. With
     * the index intact, the log undoes nothing: a committed, then deleted block stays deleted.
     */
    @Test
    void manualCommitsComeBackFromTheCommitLogWhenTheIndexIsLost() throws Exception {
        List<BlockKey> committed = StoreFixture.keys("committed", 100); // fills more than one 1 MiB segment
        List<BlockKey> rolledBack = StoreFixture.keys("rolled-back", 8);
        List<BlockKey> deleted = StoreFixture.keys("deleted", 8);
        StoreConfig live = config(dir.resolve("live")).autoCommit(false).segmentSize(ByteSize.ofMiB(1))
                .build();
        Path kept = dir.resolve("kept");
        Path lost = dir.resolve("lost");
        try (SegmentStore store = SegmentStore.open(live)) {
            dumpAll(store, committed, 4, BLOCK);
            dumpAll(store, rolledBack, 4, BLOCK);
            dumpAll(store, deleted, 4, BLOCK);
            assertTrue(SegmentFiles.list(live.storageBackends().getFirst(), SegmentPath.State.SEALED).size() >= 1,
                    "a segment sealed before the commit");
            assertEquals(committed.size(), store.commit(committed, true));
            store.commit(rolledBack, false);
            store.commit(deleted, true);
            store.delete(deleted);
            CrashImage.capture(store, kept);
            CrashImage.capture(store, lost);
        }
        List<BlockKey> all = new ArrayList<>(committed);
        all.addAll(rolledBack);
        all.addAll(deleted);
        try (SegmentStore store = SegmentStore.open(config(kept).autoCommit(false).build())) {
            assertExactly(store, all, new HashSet<>(committed), BLOCK);
        }
        FileTrees.deleteRecursively(lost.resolve("data").resolve("index"));
        try (SegmentStore store = SegmentStore.open(config(lost).autoCommit(false).build())) {
            assertTrue(store.recoveryReport().entriesAdded() >= committed.size(), store.recoveryReport()::toString);
            // Deleted keys may come back here (a delete lived only in the lost index); rolled-back ones never.
            List<BlockKey> checked = new ArrayList<>(committed);
            checked.addAll(rolledBack);
            assertExactly(store, checked, new HashSet<>(committed), BLOCK);
        }
    }

    /** With an intact index, a dump whose sync failed was recorded below the watermark before it was reported. */
    @Test
    void failedSyncStaysInvisibleAfterACrash() throws Exception {
        FaultyFileIO faulty = new FaultyFileIO();
        List<BlockKey> keys = StoreFixture.keys("failed", 2);
        Path image = dir.resolve("image");
        try (SegmentStore store = SegmentStore.open(config(dir.resolve("live")).build(), new SimpleMeterRegistry(), faulty::forDirectory)) {
            dumpAll(store, keys.subList(0, 1), 1, BLOCK);
            faulty.fail(FaultyFileIO.Op.SYNC, 1);
            TaskResult r = StoreFixture.await(store.dump(keys.subList(1, 2), Payloads.buffers(arena, keys.subList(1, 2), BLOCK)));
            assertEquals(Outcome.IO_ERROR, r.outcome(0));
            CrashImage.capture(store, image); // a kill -9 now: the failed record's bytes are on disk
            faulty.clear();
        }
        try (SegmentStore store = SegmentStore.open(config(image).build())) {
            assertExactly(store, keys, Set.of(keys.getFirst()), BLOCK);
        }
    }

    /**
     * A close writes the clean-shutdown marker, so the next open takes recovery's fast path; so
     * does the close of a store whose open had to rebuild its index. (What recovery does with
     * the marker, and with temporary and foreign files, is recovery's own StoreRecoveryTest.)
     */
    @Test
    void cleanCloseOpensOnTheFastPathAlsoAfterARecovery() throws Exception {
        List<BlockKey> keys = StoreFixture.keys("clean", 12);
        Path root = dir.resolve("store");
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            assertFalse(store.recoveryReport().cleanShutdown());
            dumpAll(store, keys, 3, BLOCK);
        }
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            RecoveryReport r = store.recoveryReport();
            assertTrue(r.cleanShutdown() && r.fastPath(), r::toString);
            assertExactly(store, keys, new HashSet<>(keys), BLOCK);
        }
        FileTrees.deleteRecursively(root.resolve("data").resolve("index"));
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            RecoveryReport r = store.recoveryReport();
            assertFalse(r.fastPath(), r::toString);
            assertEquals(keys.size(), r.entriesAdded(), r::toString);
        }
        try (SegmentStore store = SegmentStore.open(config(root).build())) {
            assertTrue(store.recoveryReport().fastPath(), store.recoveryReport()::toString);
            assertExactly(store, keys, new HashSet<>(keys), BLOCK);
        }
    }
}
