package io.spillway.engine.shared;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.FileTrees;
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
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared store's maintenance thread: one round every {@code refresh_interval}.
 *
 * <p>A round, in order:
 * <ol>
 *   <li>(writer) If {@code writers/<me>/ADOPTED} exists, this writer was adopted: stop and start
 *       under a new id ({@link SharedStore#rotate}); nothing else this round.
 *   <li>(writer) Renew the lease ({@link Lease}).
 *   <li>(writer) Bring the manifest in step with the writer's own segments ({@link OwnManifest}),
 *       and give back the space tickets of those whose files are gone ({@link SpaceTickets}).
 *   <li>Discovery ({@link Discovery}).
 *   <li>(writer) The GC lease ({@link GcOwnership}); whether writer zero's directory is unlocked
 *       (its segments are evicted only when no single-writer process holds it).
 *   <li>(writer) Leases of peers: at most one adoption per round ({@link Adoption}).
 *   <li>(GC owner) Adopted writers: finish an adoption whose adopter died, record the segments the
 *       GC evicted in their manifests, give back the space tickets of their segments that are
 *       gone, and remove a directory left without segments.
 * </ol>
 * A round that fails (a hung or unmounted file system) is logged and the next one starts on time;
 * loads and dumps go on meanwhile, through the segment store's own deadlines.
 */
public final class Maintenance {

    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

    /**
     * The last round's figures.
     *
     * @param rounds rounds run so far
     * @param lastRefreshMillis how long the last discovery took
     * @param peers other writers listed
     * @param segmentsIngested segments attached by discovery since open
     * @param entriesIngested index entries added by discovery since open
     * @param adoptions adoptions this process completed
     * @param lastAdoptionMillis how long the last adoption took (steps 2 to 6), -1 if none
     * @param gcOwner whether this writer owned the GC after the round
     */
    public record Figures(long rounds, double lastRefreshMillis, int peers, long segmentsIngested, long entriesIngested,
                          int adoptions, long lastAdoptionMillis, boolean gcOwner) {
    }

    private final SharedStore owner;
    private final String self;
    private final List<Path> roots;
    private final List<FileIO> ios;
    private final StoreConfig config;
    private final boolean readOnly;
    private final long timeoutNanos;
    private final Lease lease;
    private final OwnManifest own;
    private final Discovery discovery;
    private final GcOwnership gc;
    private final SpaceTickets tickets;
    /** What {@link #tidyAdopted} last found of each adopted writer's segments, so it reads the tickets only on a change. */
    private final Map<String, Set<Long>> tidied = new HashMap<>();
    private final Lease.Watch peerLeases = new Lease.Watch();
    private volatile boolean writerZeroFree;
    private volatile boolean stopping;
    private volatile Figures figures = new Figures(0, 0, 0, 0, 0, 0, -1, false);
    private Thread thread;

    /** @param tickets this writer's space tickets, or null (read-only, or a store without a capacity) */
    Maintenance(SharedStore owner, SegmentStore store, String self, List<Path> roots, List<FileIO> ios, StoreConfig config,
                boolean readOnly, SpaceTickets tickets) throws IOException {
        this.tickets = tickets;
        this.owner = owner;
        this.self = self;
        this.roots = roots;
        this.ios = ios;
        this.config = config;
        this.readOnly = readOnly;
        this.timeoutNanos = config.leaseTimeout().toNanos();
        this.lease = readOnly ? null : new Lease(Layout.writer(roots.getFirst(), self).resolve("lease"));
        this.own = readOnly ? null : new OwnManifest(store);
        this.discovery = new Discovery(store, roots, ios, self);
        this.gc = readOnly ? null : new GcOwnership(roots.getFirst(), self, timeoutNanos);
    }

    /** The segment store's GC gate: only the GC owner evicts, writer zero's segments only when it is unlocked. */
    boolean mayEvict(long segmentId) {
        return gc != null && gc.mayEvict() && (Layout.numberOf(segmentId) != 0 || writerZeroFree);
    }

    Figures figures() {
        return figures;
    }

    void start() {
        thread = Thread.ofPlatform().name("spillway-shared-" + (readOnly ? "reader" : self)).daemon(true).start(this::loop);
    }

    private void loop() {
        long interval = config.refreshInterval().toNanos();
        long next = System.nanoTime() + interval;
        while (!stopping) {
            LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            next += interval;
            if (stopping) {
                return;
            }
            try {
                if (!readOnly && WriterIds.adopted(roots.getFirst(), self)) {
                    stopping = true;
                    owner.rotate();
                    return;
                }
                runOnce();
            } catch (IOException | RuntimeException e) {
                LOG.warn("shared store maintenance round failed (retrying every {} ms): {}", config.refreshInterval().toMillis(),
                        e.toString());
            }
            if (next < System.nanoTime()) {
                next = System.nanoTime() + interval; // a slow round: do not run the missed ones back to back
            }
        }
    }

    /** Steps 2 to 7 of a round. */
    synchronized void runOnce() throws IOException {
        Figures f = figures;
        if (!readOnly) {
            lease.renew();
            own.refresh();
            if (tickets != null) {
                tickets.refresh();
            }
        }
        Discovery.Refreshed r = discovery.refresh();
        boolean isOwner = false;
        int adoptions = f.adoptions();
        long adoptionMs = f.lastAdoptionMillis();
        if (!readOnly) {
            isOwner = gc.refresh();
            writerZeroFree = writerZeroUnlocked();
            Adoption.Result a = adoptOne();
            if (a != null) {
                adoptions++;
                adoptionMs = a.millis();
            }
            if (isOwner) {
                tidyAdopted();
            }
        }
        figures = new Figures(f.rounds() + 1, r.nanos() / 1e6, r.writers(), f.segmentsIngested() + r.segmentsAdded(),
                f.entriesIngested() + r.entriesAdded(), adoptions, adoptionMs, isOwner);
    }

    private boolean writerZeroUnlocked() throws IOException {
        for (Path r : roots) {
            if (Files.exists(r.resolve(StoreLock.FILE_NAME)) && StoreLock.holder(r).isPresent()) {
                return false;
            }
        }
        return true;
    }

    /** Step 6. */
    private Adoption.Result adoptOne() throws IOException {
        for (String peer : List.copyOf(discovery.peers().keySet())) {
            Path dir = Layout.writer(roots.getFirst(), peer);
            if (WriterIds.adopted(roots.getFirst(), peer)) {
                continue;
            }
            // No lease file yet: the writer is still opening (it renews from the moment its segment
            // store has its lock) or died before; either way its directory holds no block.
            if (Files.exists(dir.resolve("lease")) && peerLeases.stillFor(dir.resolve("lease")) >= timeoutNanos) {
                peerLeases.forget(dir.resolve("lease"));
                Adoption.Result a = Adoption.adopt(roots, ios, peer, self, config.indexPath().toAbsolutePath().normalize());
                if (a != null) {
                    return a;
                }
            }
        }
        return null;
    }

    /** Step 7, for every adopted writer. */
    private void tidyAdopted() throws IOException {
        for (String peer : Layout.list(Layout.writers(roots.getFirst()))) {
            if (peer.equals(self) || !WriterIds.adopted(roots.getFirst(), peer)) {
                continue;
            }
            Set<Long> sealedOnDisk = new HashSet<>();
            Set<Long> anyState = new HashSet<>();
            boolean anySegment = false;
            boolean anyOpen = false;
            for (Path r : roots) {
                for (String name : Layout.list(Layout.writer(r, peer))) {
                    var p = SegmentPath.parse(name);
                    if (p.isPresent()) {
                        anySegment = true;
                        anyState.add(p.get().segmentId());
                        anyOpen |= p.get().state() == SegmentPath.State.OPEN;
                        if (p.get().state() == SegmentPath.State.SEALED) {
                            sealedOnDisk.add(p.get().segmentId());
                        }
                    }
                }
            }
            Path manifestDir = Layout.writer(roots.getFirst(), peer);
            if (anyOpen) {
                Adoption.finish(roots, ios, peer, config.indexPath().toAbsolutePath().normalize());
                continue; // its adopter died half way: redone; tidied next round
            }
            Set<Long> listed = new HashSet<>();
            for (Manifest.Entry e : Manifest.repairTail(manifestDir)) {
                if (e.kind() == Manifest.Kind.SEALED) {
                    listed.add(e.segmentId());
                } else {
                    listed.remove(e.segmentId());
                }
            }
            List<Manifest.Entry> evicted = new ArrayList<>();
            for (long id : listed) {
                if (!sealedOnDisk.contains(id)) {
                    evicted.add(new Manifest.Entry(Manifest.Kind.EVICTED, 0, id));
                }
            }
            Manifest.append(manifestDir, evicted);
            if (tickets != null && !anyState.equals(tidied.get(peer))) {
                SpaceTickets.releaseGone(roots.getFirst(), peer, anyState);
                tidied.put(peer, anyState);
            }
            if (!anySegment) {
                tidied.remove(peer);
                for (Path r : roots) {
                    FileTrees.deleteRecursively(Layout.writer(r, peer));
                }
                LOG.info("adopted writer {} holds no segment any more: its directory is removed", peer);
            }
        }
    }

    /** After the segment store closed: publishes its last sealed segments (see {@link OwnManifest#afterClose}). */
    synchronized void afterClose(List<Path> dirs) throws IOException {
        if (own != null) {
            own.afterClose(dirs);
        }
    }

    /** Stops the thread (waits for a round in progress, at most a lease timeout). */
    void stop() {
        stopping = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join(Math.max(1000, config.leaseTimeout().toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
