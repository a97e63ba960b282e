package io.spillway.engine.cache;

import io.spillway.engine.api.BlockKey;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * {@code fsck}'s check of a DRAM tier directory, read-only: the arena's superblock and length,
 * every slot header, and the index against the headers (the checks an owner's open runs, {@link
 * CacheRecovery} O1-O3, reported instead of repaired: the next owner repairs). With {@code deep},
 * every cached block's CRC32C is checked too. Refused while an owner has the directory open.
 */
public final class CacheCheck {

    /** What the check found; {@code problems} is empty for a consistent cache. */
    public record Result(Path directory, int slots, int cached, int dirty, long indexEntries, int verified,
                         List<String> problems, List<String> notes) {

        public boolean clean() {
            return problems.isEmpty();
        }
    }

    private CacheCheck() {
    }

    /**
     * @throws IOException if the directory has no arena, or an owner holds it (the PID is named)
     */
    public static Result run(Path directory, boolean deep) throws IOException {
        Optional<Long> owner = StoreLock.holder(directory);
        if (owner.isPresent()) {
            throw new IOException("the cache " + directory + " is open in process " + owner.get() + "; check it when that closes");
        }
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (SlotArena arena = SlotArena.open(directory.resolve("arena"), null, false)) {
            Superblock sb = arena.superblock();
            if (!sb.cleanClose()) {
                notes.add("the last owner (pid " + sb.ownerPid() + ") did not close cleanly: the next owner rebuilds the index");
            }
            ArenaLayout layout = arena.layout();
            List<Slot> cached = new ArrayList<>();
            Set<BlockKey> seen = new HashSet<>();
            int dirty = 0;
            for (int i = 0; i < layout.slotCount(); i++) {
                SlotHeader h = arena.header(i);
                SlotState st = h.state();
                if (st == SlotState.FREE && (h.seq() & 1) == 0) {
                    continue;
                }
                if (!h.crcValid() || st == null) {
                    problems.add("slot " + i + ": torn or foreign header (state " + h.stateCode() + ", header CRC "
                            + (h.crcValid() ? "ok" : "bad") + ")");
                } else if (st == SlotState.WRITING || st == SlotState.EVICTING) {
                    problems.add("slot " + i + ": left " + st + " by an owner that died mid-step (reclaimed at the next open)");
                } else if ((h.seq() & 1) != 0 || h.length() <= 0 || h.length() > layout.slotSize()) {
                    problems.add("slot " + i + ": " + st + " with sequence number " + h.seq() + " and length " + h.length());
                } else if (!seen.add(h.blockKey())) {
                    problems.add("slot " + i + ": key " + h.blockKey().shortHex() + " is cached twice");
                } else {
                    Slot s = new Slot(i);
                    s.key = h.blockKey();
                    s.state = st;
                    s.length = h.length();
                    s.crc = h.payloadCrc();
                    s.generation = h.seq();
                    cached.add(s);
                    dirty += st == SlotState.DIRTY ? 1 : 0;
                }
            }
            long entries = checkIndex(directory, sb.mapEpoch(), layout, cached, problems);
            int verified = 0;
            if (deep) {
                for (Slot s : cached) {
                    CRC32C crc = new CRC32C();
                    crc.update(arena.slot(s.index).asSlice(0, s.length).asByteBuffer());
                    if ((int) crc.getValue() != s.crc) {
                        problems.add("slot " + s.index + " (" + s.key.shortHex() + "): the cached bytes fail their CRC32C");
                    }
                    verified++;
                }
            }
            if (dirty > 0) {
                notes.add(dirty + " blocks are cached but not yet written back to the disk tier");
            }
            return new Result(directory, layout.slotCount(), cached.size(), dirty, entries, verified, List.copyOf(problems),
                    List.copyOf(notes));
        }
    }

    private static long checkIndex(Path directory, long epoch, ArenaLayout layout, List<Slot> cached, List<String> problems)
            throws IOException {
        Path file = CacheIndex.path(directory, epoch);
        if (!Files.exists(file)) {
            problems.add("the index file " + file.getFileName() + " of epoch " + epoch + " is missing");
            return 0;
        }
        try (CacheIndex index = CacheIndex.open(file, layout.slotCount(), Duration.ofSeconds(1))) {
            int matched = 0;
            for (Slot s : cached) {
                CacheIndex.Probe p = index.get(s.key.toBytes());
                IndexEntry e = p.entry();
                if (!p.present()) {
                    problems.add("slot " + s.index + " (" + s.key.shortHex() + "): cached but not in the index");
                } else if (e == null) {
                    problems.add("slot " + s.index + " (" + s.key.shortHex() + "): its index entry is torn");
                } else if (e.slot() != s.index || e.generation() != s.generation || e.length() != s.length || e.crc() != s.crc) {
                    problems.add("slot " + s.index + " (" + s.key.shortHex() + "): the index entry (" + e + ") disagrees with the header");
                } else {
                    matched++;
                }
            }
            long orphans = index.size() - matched;
            if (orphans > 0) {
                problems.add(orphans + " index entries match no slot header (never served: their generation check fails)");
            }
            return index.size();
        } catch (IndexUnavailableException e) {
            problems.add("the index has a segment lock held (a process died holding it?): " + e.getMessage());
            return 0;
        }
    }
}
