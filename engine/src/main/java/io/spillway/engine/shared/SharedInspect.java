package io.spillway.engine.shared;

import io.spillway.recovery.Fsck;
import io.spillway.segments.SegmentPath;
import io.spillway.segments.io.ChannelFileIO;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Read-only views of a shared store for the CLI ({@code stats}, {@code fsck}, {@code inspect}):
 * its writers with their leases, and a check of every writer's segments and manifest. Takes no
 * lock and writes nothing, so it runs while the writers do.
 */
public final class SharedInspect {

    private SharedInspect() {
    }

    /**
     * One writer directory.
     *
     * @param id its name
     * @param number its writer number (the high bits of its segment ids), -1 if unknown
     * @param lease its lease counter as last written, empty if none
     * @param holderPid the pid holding its directory lock (its process, live), -1 if none
     * @param adoptedBy the adopter named in {@code ADOPTED}, empty if not adopted
     * @param sealed sealed segments in its directories
     * @param open {@code .open} segments (being written, or awaiting adoption)
     * @param bytes the segment files' sizes
     * @param manifestRecords valid manifest records
     * @param manifestTail bytes past the last valid record (a torn append)
     */
    public record Writer(String id, long number, String lease, long holderPid, String adoptedBy, int sealed, int open, long bytes,
                         int manifestRecords, long manifestTail) {
    }

    /** Whether {@code dir} is a shared store (has a {@code FORMAT} marker). */
    public static boolean isShared(Path dir) {
        return Files.exists(dir.resolve(Layout.FORMAT_FILE));
    }

    /** The GC owner's name, empty when none has claimed it yet. */
    public static Optional<String> gcOwner(Path dir) throws IOException {
        return GcOwnership.owner(dir);
    }

    /** The GC lease counter. */
    public static String gcLease(Path dir) throws IOException {
        return Lease.read(Layout.gcDir(dir).resolve("lease")).orElse("");
    }

    /** Every writer of the store in {@code dir} (one backend). */
    public static List<Writer> writers(Path dir) throws IOException {
        List<Writer> out = new ArrayList<>();
        for (String id : Layout.list(Layout.writers(dir)).stream().sorted().toList()) {
            Path w = Layout.writer(dir, id);
            int sealed = 0;
            int open = 0;
            long bytes = 0;
            for (String name : Layout.list(w)) {
                var p = SegmentPath.parse(name);
                if (p.isPresent()) {
                    sealed += p.get().state() == SegmentPath.State.SEALED ? 1 : 0;
                    open += p.get().state() == SegmentPath.State.OPEN ? 1 : 0;
                    bytes += size(w.resolve(name));
                }
            }
            long number = Layout.readSmall(w.resolve("NUMBER")).map(s -> Long.parseLong(s.trim())).orElse(-1L);
            Manifest.Tail t = Manifest.read(w, 0);
            long tail = Files.exists(w.resolve(Manifest.FILE_NAME)) ? size(w.resolve(Manifest.FILE_NAME)) - t.nextOffset() : 0;
            long holder = Files.exists(w.resolve(StoreLock.FILE_NAME)) ? StoreLock.holder(w).orElse(-1L) : -1;
            out.add(new Writer(id, number, Lease.read(w.resolve("lease")).orElse(""), holder,
                    Layout.readSmall(w.resolve(Adoption.MARKER)).map(String::trim).orElse(""), sealed, open, bytes,
                    t.entries().size(), tail));
        }
        return out;
    }

    /**
     * Checks every writer's sealed segments (header, footer, records; {@link Fsck#checkSegmentFile})
     * and manifest: a "sealed" record whose segment is gone with no "evicted" record after it is a
     * problem only for a writer no process holds (a live writer records it at its next refresh);
     * so are {@code .open} segments of a writer that is neither live nor adopted (it awaits
     * adoption by a peer) and a torn manifest tail. Returns the problems, one line each.
     */
    public static List<String> check(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        FileIO io = new ChannelFileIO(4096);
        for (Writer wr : writers(dir)) {
            Path w = Layout.writer(dir, wr.id());
            Set<Long> onDisk = new HashSet<>();
            for (String name : Layout.list(w)) {
                var p = SegmentPath.parse(name);
                if (p.isPresent() && p.get().state() == SegmentPath.State.SEALED) {
                    onDisk.add(p.get().segmentId());
                    if (wr.number() >= 0 && Layout.numberOf(p.get().segmentId()) != wr.number()) {
                        problems.add("writer " + wr.id() + ": " + name + " is outside its id range (number " + wr.number() + ")");
                    }
                    for (Fsck.Problem pr : Fsck.checkSegmentFile(io, w.resolve(name), p.get().segmentId())) {
                        problems.add("writer " + wr.id() + ": " + pr);
                    }
                }
            }
            boolean live = wr.holderPid() != -1;
            if (live) {
                continue;
            }
            Set<Long> listed = new HashSet<>();
            for (Manifest.Entry e : Manifest.read(w, 0).entries()) {
                if (e.kind() == Manifest.Kind.SEALED) {
                    listed.add(e.segmentId());
                } else {
                    listed.remove(e.segmentId());
                }
            }
            for (long id : listed) {
                if (!onDisk.contains(id)) {
                    problems.add("writer " + wr.id() + ": manifest lists segment " + Long.toHexString(id) + " as sealed, but it is gone");
                }
            }
            if (wr.open() > 0 && wr.adoptedBy().isEmpty()) {
                problems.add("writer " + wr.id() + ": " + wr.open() + " open segment(s) and no live process: awaiting adoption");
            }
            if (wr.manifestTail() > 0) {
                problems.add("writer " + wr.id() + ": manifest ends in a torn append of " + wr.manifestTail() + " bytes");
            }
        }
        return problems;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0; // evicted while we looked
        }
    }
}
