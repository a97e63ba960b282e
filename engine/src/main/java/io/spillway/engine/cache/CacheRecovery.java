package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.FileIO;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an owner opens a cache directory (it already holds the directory's {@code LOCK}), and how
 * it replaces the index. The slot headers are the truth; the index is checked against them, or
 * rebuilt from them.
 *
 * <p><b>Open</b>, in order:
 * <ol>
 *   <li>O1. Map the arena, checking its superblock (magic, version, geometry CRC) and its length.
 *       A missing arena is created. One of ours that cannot be used (truncated, another geometry
 *       or format version) is replaced by a fresh one, and what it held is dropped and logged. A
 *       file that is not ours is refused: it is someone else's, and never deleted.
 *   <li>O2. Scan every slot header. WRITING and EVICTING slots belong to an owner that died
 *       mid-step: reclaimed (FREE, sequence number made even). DIRTY and CLEAN slots with a valid
 *       header CRC, an even sequence number and a length that fits are the cached blocks (of two
 *       with one key, the later write wins). Anything else (a torn header, a state number none of
 *       ours) is freed and counted.
 *   <li>O3. If the last owner closed cleanly, open the index of the superblock's epoch and check
 *       every cached block's entry against its header (slot, generation, length, CRC): a missing,
 *       torn or different entry is rewritten from the header. The entries are probed by key from
 *       the headers, never iterated, so a foreign or stale entry can never be resurrected.
 *   <li>O4. Otherwise (the last owner died, the index is missing, foreign or locked, or it holds
 *       entries no header accounts for), build a new index under the next epoch from the headers
 *       ({@link #rebuild}).
 *   <li>O5. Delete every other {@code index-*.cmap} file: stale epochs (a reader still mapping one
 *       keeps its pages until it follows the new epoch).
 *   <li>O6. Mark the superblock as owned (clean-close flag cleared, owner PID).
 * </ol>
 * The open reads headers and index entries only, never block bytes (every hit checks its CRC32C):
 * reopening a warm 8 GiB arena of 2 MiB blocks checks 4,096 headers.
 *
 * <p><b>Index replacement</b> ({@link #rebuild}), with the slot table's lock held, so no slot
 * changes meanwhile:
 * <ol>
 *   <li>X1. Create {@code index-<epoch+1>.cmap} and reserve its pages.
 *   <li>X2. Put every cached block's entry.
 *   <li>X3. Publish the new epoch in the superblock: readers that see it reattach to the new file.
 *   <li>X4. Close and delete the old file. A process that died holding one of its segment locks
 *       (the reason for most replacements) blocks nobody any more.
 * </ol>
 */
public final class CacheRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(CacheRecovery.class);

    /**
     * What the open did.
     *
     * @param created a new arena was made
     * @param replacedBecause why an arena of ours was replaced (null if it was not)
     * @param rebuiltBecause why the index was rebuilt from the slot headers (null if it was kept)
     * @param blocks blocks found cached
     * @param dirty of which not yet written back
     * @param reclaimed slots left mid-write or mid-eviction, freed
     * @param dropped slot headers that could not be verified, freed
     * @param reindexed index entries rewritten from their headers
     * @param epoch the index epoch in use
     * @param millis the open's duration
     */
    public record Report(boolean created, String replacedBecause, String rebuiltBecause, int blocks, int dirty, int reclaimed,
                  int dropped, int reindexed, long epoch, long millis) {
    }

    record Opened(SlotArena arena, CacheIndex index, List<Slot> cached, Report report) {
    }

    private CacheRecovery() {
    }

    static Opened open(CacheConfig config, FileIO io) throws IOException {
        long t0 = System.nanoTime();
        ArenaLayout layout = config.layout();
        Path file = config.arenaFile();
        boolean created = false;
        String replaced = null;
        SlotArena arena;
        if (!Files.exists(file)) {
            arena = SlotArena.create(file, layout, io); // O1
            created = true;
        } else {
            try {
                arena = SlotArena.open(file, layout, true);
            } catch (CacheFormatException e) {
                if (!e.ours()) {
                    throw new CacheFormatException(file, "is not a Spillway cache arena (" + e.getMessage()
                            + "); it is left alone: move it away or choose another cache_path", false);
                }
                replaced = e.getMessage();
                LOG.warn("replacing the cache arena: {}; its blocks are dropped", replaced);
                SlotArena.retire(file);
                arena = SlotArena.create(file, layout, io);
            }
        }
        try {
            Superblock sb = arena.superblock();
            Scan scan = scan(arena); // O2
            long epoch = sb.mapEpoch();
            CacheIndex index = null;
            String rebuilt = null;
            int reindexed = 0;
            if (!sb.cleanClose()) {
                rebuilt = created ? "a new arena" : "the last owner did not close cleanly (pid " + sb.ownerPid() + ")";
            } else {
                try {
                    index = CacheIndex.open(CacheIndex.path(config.directory(), epoch), layout.slotCount(), config.lockTimeout());
                    reindexed = verify(index, scan.cached); // O3
                    long orphans = index.size() - scan.cached.size();
                    if (orphans > 0) {
                        rebuilt = orphans + " index entries match no slot header";
                    }
                } catch (NoSuchFileException e) {
                    rebuilt = "the index file is missing";
                } catch (CacheFormatException | IndexUnavailableException e) {
                    rebuilt = e.getMessage();
                }
                if (rebuilt != null && index != null) {
                    index.close();
                    index = null;
                }
            }
            if (index == null) {
                epoch++;
                index = build(config, io, epoch, scan.cached); // O4
                sb.mapEpoch(epoch);
                if (!created) {
                    LOG.info("cache index rebuilt from {} slot headers under epoch {}: {}", scan.cached.size(), epoch, rebuilt);
                }
            }
            deleteStale(config.directory(), epoch); // O5
            sb.cleanClose(false); // O6
            sb.ownerPid(ProcessHandle.current().pid());
            int dirty = (int) scan.cached.stream().filter(s -> s.state == SlotState.DIRTY).count();
            Report r = new Report(created, replaced, rebuilt, scan.cached.size(), dirty, scan.reclaimed, scan.dropped, reindexed,
                    epoch, (System.nanoTime() - t0) / 1_000_000);
            if (scan.reclaimed > 0 || scan.dropped > 0 || reindexed > 0) {
                LOG.warn("cache {}: reclaimed {} slots left mid-write or mid-eviction, dropped {} unverifiable headers,"
                        + " rewrote {} index entries", file, scan.reclaimed, scan.dropped, reindexed);
            }
            return new Opened(arena, index, scan.cached, r);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Replaces the owner's index with a new one built from the cached slots (X1-X4). The caller
     * holds the slot table's lock.
     */
    static CacheIndex rebuild(CacheConfig config, FileIO io, SlotArena arena, CacheIndex old, List<Slot> cached)
            throws IOException {
        Superblock sb = arena.superblock();
        long epoch = sb.mapEpoch() + 1;
        CacheIndex fresh = build(config, io, epoch, cached); // X1, X2
        sb.mapEpoch(epoch); // X3
        old.close(); // X4
        Files.deleteIfExists(old.file());
        return fresh;
    }

    private record Scan(List<Slot> cached, int reclaimed, int dropped) {
    }

    private static Scan scan(SlotArena arena) {
        ArenaLayout layout = arena.layout();
        Map<BlockKey, Slot> byKey = new HashMap<>();
        int reclaimed = 0;
        int dropped = 0;
        for (int i = 0; i < layout.slotCount(); i++) {
            SlotHeader h = arena.header(i);
            SlotState st = h.state();
            if (st == SlotState.FREE && (h.seq() & 1) == 0) {
                continue; // holds nothing, whatever its other fields say (a fresh arena's headers are all zero)
            }
            boolean valid = h.crcValid() && st != null;
            if (valid && (st == SlotState.WRITING || st == SlotState.EVICTING)) {
                free(arena, i, h.seq());
                reclaimed++;
                continue;
            }
            if (!valid || !st.servable() || (h.seq() & 1) != 0 || h.length() <= 0 || h.length() > layout.slotSize()) {
                free(arena, i, h.seq());
                dropped++;
                continue;
            }
            Slot s = new Slot(i);
            s.state = st;
            s.key = h.blockKey();
            s.length = h.length();
            s.crc = h.payloadCrc();
            s.generation = h.seq();
            s.writtenAt = h.writtenAt();
            s.lastAccess = h.writtenAt();
            Slot other = byKey.get(s.key);
            Slot keep = other == null || s.writtenAt > other.writtenAt ? s : other;
            byKey.put(s.key, keep);
            if (other != null) {
                Slot lose = keep == s ? other : s;
                free(arena, lose.index, lose.generation);
                dropped++;
            }
        }
        return new Scan(new ArrayList<>(byKey.values()), reclaimed, dropped);
    }

    /** A slot to FREE, its sequence number made even (past any generation an old entry may name). */
    private static void free(SlotArena arena, int slot, long seq) {
        long at = arena.headerAt(slot);
        SlotHeader.write(arena.mapping(), at, SlotState.FREE, 0, 0, new byte[BlockKey.BYTES], 0);
        SlotHeader.seqRelease(arena.mapping(), at, (seq | 1) + 1);
    }

    /** Checks each cached block's entry; rewrites those that differ. Returns how many it rewrote. */
    private static int verify(CacheIndex index, List<Slot> cached) throws IndexUnavailableException {
        int rewritten = 0;
        for (Slot s : cached) {
            CacheIndex.Probe p = index.get(s.key.toBytes());
            IndexEntry e = p.entry();
            if (e != null && e.slot() == s.index && e.generation() == s.generation && e.length() == s.length
                    && e.crc() == s.crc) {
                s.lastAccess = e.lastAccess();
                if (e.state() != s.state) {
                    index.put(s.key.toBytes(), s.entry());
                    rewritten++;
                }
                continue;
            }
            index.put(s.key.toBytes(), s.entry());
            rewritten++;
        }
        return rewritten;
    }

    private static CacheIndex build(CacheConfig config, FileIO io, long epoch, List<Slot> cached) throws IOException {
        CacheIndex index = CacheIndex.create(CacheIndex.path(config.directory(), epoch), config.layout().slotCount(),
                config.lockTimeout(), io);
        try {
            for (Slot s : cached) {
                index.put(s.key.toBytes(), s.entry());
            }
            return index;
        } catch (IOException | RuntimeException e) {
            index.close();
            throw e;
        }
    }

    private static void deleteStale(Path dir, long epoch) throws IOException {
        String keep = CacheIndex.path(dir, epoch).getFileName().toString();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "index-*.cmap")) {
            for (Path p : ds) {
                if (!p.getFileName().toString().equals(keep)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
