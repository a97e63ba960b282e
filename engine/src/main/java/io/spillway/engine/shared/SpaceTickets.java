package io.spillway.engine.shared;

import io.spillway.engine.SegmentAdmission;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared capacity as a fixed set of tickets, one per segment that fits in it: {@code
 * space/<n>} in the first backend, for n from 0 to floor(capacity / segment_size) - 1, each naming
 * the writer and the segment that hold it. A writer starts a segment only holding a ticket, and
 * gives the ticket back only once the segment's file is gone in every state (sealed, open,
 * {@code .deleted}), so the segment files of the shared writers never take more than the
 * capacity, however stale each writer's view of the others is. The only coordination is the
 * file system's create-if-absent (here a link), as for writer numbers and GC epochs; no counter
 * is shared.
 *
 * <p>Taking a ticket ({@link #admit}, on the append worker, before the segment file exists):
 * <ol>
 *   <li>List {@code space/}; the free numbers are those below the ticket count not listed.
 *   <li>Create {@code space/<n>}, with "{@code <writer> <segment id>}", for the free numbers in
 *       turn from a random one: the content is synced to a temporary file that is then linked to
 *       the ticket's name, so a ticket exists complete or not at all, and a link to a name that
 *       exists fails, as an exclusive create does. The first link that succeeds holds the
 *       ticket. None free, or every link lost to another writer: no room (the dump is
 *       STORE_FULL, as at capacity in a single-writer store).
 *   <li>The segment file is created ({@link #created}); if that fails, the ticket is deleted
 *       ({@link #abandoned}).
 * </ol>
 * Giving tickets back: a writer's maintenance round ({@link #refresh}) deletes the ticket of each
 * segment it created whose file is gone (the GC owner evicted it, or its own store discarded or
 * compacted it). At open, a writer deletes the tickets naming it whose segment does not exist (a
 * crash between steps 2 and 3), and its temporary files (a crash inside step 2). For an adopted
 * writer, the GC owner's tidying does both ({@link #releaseGone}). Only the holder (or, once it is adopted, the GC owner) deletes a
 * ticket, and it checks the content first, so a ticket re-taken by another writer is never
 * deleted by a stale release (two GC owners overlapping by one pass could race there; the cost
 * is one ticket lost until that writer's directory is tidied, never a byte).
 *
 * <p>Writer zero's segments (a single-writer store's own files, read by the shared writers) hold
 * no tickets: the numbers they would take are left out at the top of the range, counted at each
 * {@link #admit}. A single-writer process appending to writer zero while shared writers run is
 * outside this bound.
 *
 * <p>Cost: a listing of {@code space/} (one entry per segment of capacity) per segment started, and
 * at open one small read per ticket.
 */
final class SpaceTickets implements SegmentAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(SpaceTickets.class);
    private static final String TMP = ".tmp-";

    private final Path dir;
    private final String self;
    private final long count;
    private final long segmentSize;
    private final List<Path> roots;
    private final List<Path> ownDirs;
    /** Segment id to ticket number, for tickets this writer holds (pending ones until {@link #created}). */
    private final Map<Long, Long> held = new ConcurrentHashMap<>();
    private final Set<Long> pending = ConcurrentHashMap.newKeySet();
    /** For {@link #ticketBytes}: the last count of tickets, the catalog's ids at the last call, and when ids left it. */
    private int ticketsListed;
    private long listedAt;
    private Set<Long> catalogSeen = Set.of();
    private final Map<Long, Long> leftAt = new HashMap<>();

    /**
     * Opens the tickets of writer {@code self} (whose segment directories are {@code ownDirs}) and
     * deletes those naming it whose segment does not exist.
     *
     * @param capacity the shared store's capacity in bytes (finite)
     */
    SpaceTickets(List<Path> roots, String self, List<Path> ownDirs, long capacity, long segmentSize) throws IOException {
        this.dir = roots.getFirst().resolve("space");
        this.self = self;
        this.roots = roots;
        this.ownDirs = ownDirs;
        this.segmentSize = segmentSize;
        this.count = capacity / segmentSize;
        Files.createDirectories(dir);
        removeTemporaries(dir, self);
        Set<Long> present = segmentIds(ownDirs);
        for (Ticket t : read(dir)) {
            if (t.writer().equals(self)) {
                if (present.contains(t.segmentId())) {
                    held.put(t.segmentId(), t.number());
                } else {
                    release(dir, t);
                }
            }
        }
    }

    /** Steps 1 and 2. */
    @Override
    public boolean admit(long segmentId) throws IOException {
        long limit = count - writerZeroSegments();
        Set<String> taken = new HashSet<>(Layout.list(dir));
        List<Long> free = new ArrayList<>();
        for (long n = 0; n < limit; n++) {
            if (!taken.contains(Long.toString(n))) {
                free.add(n);
            }
        }
        if (free.isEmpty()) {
            return false;
        }
        Collections.rotate(free, -ThreadLocalRandom.current().nextInt(free.size()));
        for (long n : free) {
            if (take(n, segmentId)) {
                pending.add(segmentId);
                held.put(segmentId, n);
                return true;
            }
        }
        return false;
    }

    @Override
    public void created(long segmentId) {
        pending.remove(segmentId);
    }

    @Override
    public void abandoned(long segmentId) {
        pending.remove(segmentId);
        Long n = held.remove(segmentId);
        if (n != null) {
            try {
                release(dir, new Ticket(n, self, segmentId));
            } catch (IOException e) {
                LOG.warn("giving back space ticket {} failed (it stays taken until this writer reopens): {}", n, e.toString());
            }
        }
    }

    /**
     * Gives back the tickets of this writer's segments whose files are gone; returns how many.
     * Only segments created before the listing are judged by it (a segment created while the
     * directory is listed may be missing from the listing).
     */
    int refresh() throws IOException {
        Map<Long, Long> created = new HashMap<>(held);
        created.keySet().removeAll(pending);
        Set<Long> present = segmentIds(ownDirs);
        int n = 0;
        for (Map.Entry<Long, Long> e : created.entrySet()) {
            long id = e.getKey();
            if (!present.contains(id) && held.remove(id, e.getValue())) {
                release(dir, new Ticket(e.getValue(), self, id));
                n++;
            }
        }
        return n;
    }

    /**
     * For the GC owner: the shared writers' segment bytes as the tickets count them, one whole
     * segment per ticket, so that its watermarks and its capacity check see the store as full
     * when every ticket is taken. Its catalog alone sees less: other writers' open segments, the
     * sealed ones since its last discovery, and sealed segments as their trimmed size; left at
     * that, its view of a store whose tickets are all taken could stay under the high watermark,
     * and every writer would wait for an eviction that never comes.
     *
     * <p>A segment that left the catalog ({@code catalogIds}: the owner evicted it, or found it
     * gone) within the last three refresh intervals is taken off the count: its ticket stays
     * until its holder's next round, and counting it would make the GC evict again for space
     * already freed. The tickets are listed (names only) at most once per {@code everyNanos};
     * the catalog is asked at every call, so an eviction lowers the count at once.
     */
    synchronized long ticketBytes(Supplier<Set<Long>> catalogIds, long everyNanos) {
        long now = System.nanoTime();
        if (listedAt == 0 || now - listedAt >= everyNanos) {
            try {
                ticketsListed = (int) Layout.list(dir).stream().filter(n -> n.matches("[0-9]+")).count();
            } catch (IOException e) {
                LOG.debug("listing the space tickets failed ({}); the last listing stands", e.toString());
            }
            listedAt = now == 0 ? 1 : now;
        }
        Set<Long> ids = catalogIds.get();
        for (long id : catalogSeen) {
            if (!ids.contains(id)) {
                leftAt.putIfAbsent(id, now);
            }
        }
        catalogSeen = ids;
        leftAt.values().removeIf(t -> now - t > 3 * everyNanos);
        return Math.max(0, ticketsListed - leftAt.size()) * segmentSize;
    }

    /** Tickets this writer holds. */
    int held() {
        return held.size();
    }

    /**
     * For the GC owner: deletes the tickets of adopted writer {@code writer} whose segments are not
     * among {@code present}; returns how many.
     */
    static int releaseGone(Path firstBackend, String writer, Set<Long> present) throws IOException {
        int n = 0;
        Path dir = firstBackend.resolve("space");
        removeTemporaries(dir, writer);
        for (Ticket t : read(dir)) {
            if (t.writer().equals(writer) && !present.contains(t.segmentId())) {
                release(dir, t);
                n++;
            }
        }
        return n;
    }

    /** The tickets taken now (inspect). */
    static int taken(Path firstBackend) throws IOException {
        return (int) Layout.list(firstBackend.resolve("space")).stream().filter(s -> s.matches("[0-9]+")).count();
    }

    /** Segment ids of every segment file in {@code dirs}, in any state. */
    static Set<Long> segmentIds(List<Path> dirs) throws IOException {
        Set<Long> ids = new HashSet<>();
        for (Path d : dirs) {
            for (String name : Layout.list(d)) {
                SegmentPath.parse(name).ifPresent(p -> ids.add(p.segmentId()));
            }
        }
        return ids;
    }

    /** Writer zero's segment files (in the backends' top directories), in any state. */
    private long writerZeroSegments() throws IOException {
        return segmentIds(roots).size();
    }

    /** One ticket: its number and what it says. */
    record Ticket(long number, String writer, long segmentId) {
    }

    private static List<Ticket> read(Path dir) throws IOException {
        List<Ticket> out = new ArrayList<>();
        for (String name : Layout.list(dir)) {
            if (!name.matches("[0-9]+")) {
                continue;
            }
            Optional<String> text = Layout.readSmall(dir.resolve(name));
            String[] f = text.map(String::trim).orElse("").split(" ");
            if (f.length == 2 && f[1].matches("[0-9]+")) {
                out.add(new Ticket(Long.parseLong(name), f[0], Long.parseLong(f[1])));
            } else if (text.isPresent()) {
                // Linked complete from a synced file (take), so this is not a torn create: damage.
                LOG.warn("space ticket {} reads \"{}\"; left taken (remove it by hand if no segment holds it)",
                        dir.resolve(name), text.get().trim());
            }
        }
        return out;
    }

    /** Deletes ticket {@code t} from {@code dir} if it still says what it said (not given back and re-taken meanwhile). */
    private static void release(Path dir, Ticket t) throws IOException {
        Path file = dir.resolve(Long.toString(t.number()));
        Optional<String> text = Layout.readSmall(file);
        if (text.isPresent() && text.get().trim().equals(t.writer() + " " + t.segmentId())) {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Creates ticket {@code n} naming {@code segmentId}, complete or not at all: the content is
     * written and synced to a temporary file first, then linked to the ticket's name (a link to
     * an existing name fails, as an exclusive create does). False when another writer holds it.
     */
    private boolean take(long n, long segmentId) throws IOException {
        Path tmp = dir.resolve(TMP + self + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Layout.createExclusive(tmp, self + " " + segmentId + "\n");
            Files.createLink(dir.resolve(Long.toString(n)), tmp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Removes the temporary files {@code writer} left in {@code dir} (a crash inside {@link #take}). */
    private static void removeTemporaries(Path dir, String writer) throws IOException {
        for (String name : Layout.list(dir)) {
            if (name.startsWith(TMP + writer + "-")) {
                Files.deleteIfExists(dir.resolve(name));
            }
        }
    }
}
