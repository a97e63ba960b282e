package io.spillway.testkit.sim;

import io.spillway.segments.io.NativeIOException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A simulated disk that keeps, for every file and every directory, a <em>volatile</em> image
 * (what the running process sees: the page cache and the in-memory dentries) and a
 * <em>durable</em> one (what survives a power cut).
 *
 * <ul>
 *   <li>File data becomes durable only at {@code fdatasync} of that file ({@link SimFileIO}'s
 *       {@code StoreFile.sync}): the sectors written since the last sync are copied to the durable
 *       image, and the durable length becomes the volatile one.
 *   <li>Directory entries (creates, renames, deletes) become durable only at a directory fsync.
 * </ul>
 *
 * <p>{@link #powerCut} then decides, from a seed, what the cut left: each unsynced 512-byte
 * sector is kept, dropped, torn (a prefix of the new bytes over the old) or garbled (FoundationDB's
 * AsyncFileNonDurable); pending directory operations survive as an in-order prefix (ext4's
 * ordered metadata) or as an arbitrary subset (btrfs-like reordering). After the cut the volatile
 * image is the durable one and every file handle opened before it is dead (RocksDB's
 * FaultInjectionTestFS drops unsynced data and files created since the last directory fsync in
 * the same way).
 *
 * <p>An fdatasync that fails (an injected fault) leaves its dirty sectors <em>doomed</em>: the
 * process still reads them, but no later sync makes them durable, as with Linux's writeback
 * error handling. A second sync of the same file after a failed one, before a reboot, is the
 * PostgreSQL fsync mistake; the disk records it in {@link #fsyncRetries()} and the tests assert
 * there are none.
 *
 * <p>All state is guarded by the disk's monitor: the store's IO threads call in concurrently.
 */
public final class SimDisk {

    /** Sector size of the simulated device: the unit of atomicity and of power-cut damage. */
    public static final int SECTOR = 512;

    /** A directory operation not yet made durable by a directory fsync. */
    private record DirOp(String kind, String name, String to, Inode inode) {
    }

    /** A directory's entries, volatile and durable, and the operations between the two. */
    private static final class Dir {
        final Map<String, Inode> live = new TreeMap<>();
        final Map<String, Inode> durable = new TreeMap<>();
        final List<DirOp> pending = new ArrayList<>();
    }

    private final Map<Path, Dir> dirs = new HashMap<>();
    private long nextIno = 1;
    private int generation;
    private final FaultPlan faults = new FaultPlan();
    private final List<String> fsyncRetries = new ArrayList<>();
    private long capacityBytes = Long.MAX_VALUE;
    private boolean btrfsOrder;

    /** The fault plan every {@link SimFileIO} on this disk consults. */
    public FaultPlan faults() {
        return faults;
    }

    /** Makes a later {@link #powerCut} reorder pending directory operations freely. */
    public synchronized void reorderDirectoryOps(boolean anyOrder) {
        this.btrfsOrder = anyOrder;
    }

    /** Limits the bytes allocated over all files: a write past it fails with ENOSPC. */
    public synchronized void capacity(long bytes) {
        this.capacityBytes = bytes;
    }

    /** Each violation of "never retry a failed fsync", as a description. */
    public synchronized List<String> fsyncRetries() {
        return List.copyOf(fsyncRetries);
    }

    /** Incremented by every power cut and reboot; handles of an older generation are dead. */
    synchronized int generation() {
        return generation;
    }

    synchronized long totalAllocated() {
        long sum = 0;
        for (Dir d : dirs.values()) {
            for (Inode i : d.live.values()) {
                sum += i.allocated;
            }
        }
        return sum;
    }

    /** Bytes allocated by every file the running process can see (the space bound's measure). */
    public synchronized long allocatedBytes() {
        return totalAllocated();
    }

    /** Bytes allocated to one file, 0 if there is none. */
    public synchronized long allocatedBytes(Path file) {
        Inode i = lookup(file);
        return i == null ? 0 : i.allocated;
    }

    // ------------------------------------------------------------------ directory operations

    private Dir dir(Path dir) {
        return dirs.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> new Dir());
    }

    public synchronized void mkdirs(Path dir) {
        dir(dir);
    }

    synchronized Inode lookup(Path file) {
        Dir d = dirs.get(file.getParent().toAbsolutePath().normalize());
        return d == null ? null : d.live.get(file.getFileName().toString());
    }

    synchronized Inode create(Path file) throws IOException {
        Dir d = dir(file.getParent());
        String name = file.getFileName().toString();
        if (d.live.containsKey(name)) {
            throw new FileAlreadyExistsException(file.toString());
        }
        Inode i = new Inode(nextIno++);
        d.live.put(name, i);
        d.pending.add(new DirOp("create", name, null, i));
        return i;
    }

    synchronized void rename(Path from, Path to) throws IOException {
        Dir d = dir(from.getParent());
        if (!from.getParent().toAbsolutePath().normalize().equals(to.getParent().toAbsolutePath().normalize())) {
            throw new IOException("the simulated disk renames within one directory only: " + from + " -> " + to);
        }
        Inode i = d.live.remove(from.getFileName().toString());
        if (i == null) {
            throw new NoSuchFileException(from.toString());
        }
        d.live.put(to.getFileName().toString(), i);
        d.pending.add(new DirOp("rename", from.getFileName().toString(), to.getFileName().toString(), i));
    }

    synchronized boolean delete(Path file) {
        Dir d = dirs.get(file.getParent().toAbsolutePath().normalize());
        if (d == null) {
            return false;
        }
        Inode i = d.live.remove(file.getFileName().toString());
        if (i == null) {
            return false;
        }
        d.pending.add(new DirOp("delete", file.getFileName().toString(), null, i));
        return true;
    }

    synchronized void syncDir(Path dir) {
        Dir d = dir(dir);
        d.durable.clear();
        d.durable.putAll(d.live);
        d.pending.clear();
    }

    synchronized List<String> list(Path dir) throws IOException {
        Dir d = dirs.get(dir.toAbsolutePath().normalize());
        if (d == null) {
            throw new NoSuchFileException(dir.toString());
        }
        return new ArrayList<>(d.live.keySet());
    }

    /** Adds a file directly, durable at once: a foreign file a user or another tool left there. */
    public synchronized void plant(Path file, byte[] content) {
        Dir d = dir(file.getParent());
        Inode i = new Inode(nextIno++);
        i.data = content.clone();
        i.size = content.length;
        i.durable = content.clone();
        i.durableSize = content.length;
        i.allocated = roundUp(content.length);
        d.live.put(file.getFileName().toString(), i);
        d.durable.put(file.getFileName().toString(), i);
    }

    /** The names in {@code dir} a process sees now (tests use it to find segment files). */
    public synchronized List<String> names(Path dir) {
        Dir d = dirs.get(dir.toAbsolutePath().normalize());
        return d == null ? List.of() : new ArrayList<>(d.live.keySet());
    }

    // ------------------------------------------------------------------ file data

    synchronized void write(Inode i, byte[] src, long offset) throws IOException {
        long end = offset + src.length;
        if (end > i.allocated) {
            long grow = roundUp(end) - i.allocated;
            if (totalAllocated() + grow > capacityBytes) {
                throw new NativeIOException("pwrite", null, 28, "No space left on device (simulated)");
            }
            i.allocated += grow;
        }
        ensure(i, end);
        System.arraycopy(src, 0, i.data, (int) offset, src.length);
        i.size = Math.max(i.size, end);
        if (src.length > 0) {
            i.dirty.set((int) (offset / SECTOR), (int) ((end - 1) / SECTOR) + 1);
        }
    }

    synchronized int read(Inode i, byte[] dst, long offset) {
        if (offset >= i.size) {
            return 0;
        }
        int n = (int) Math.min(dst.length, i.size - offset);
        System.arraycopy(i.data, (int) offset, dst, 0, n);
        return n;
    }

    synchronized void preallocate(Inode i, long offset, long length) throws IOException {
        long want = roundUp(offset + length);
        if (want > i.allocated) {
            if (totalAllocated() + want - i.allocated > capacityBytes) {
                throw new NativeIOException("fallocate", null, 28, "No space left on device (simulated)");
            }
            i.allocated = want;
        }
    }

    synchronized void truncate(Inode i, long size) {
        ensure(i, size);
        if (size < i.size) {
            Arrays.fill(i.data, (int) size, (int) i.size, (byte) 0);
        }
        // Truncating or extending changes sectors from 'size' on: they are dirty until synced.
        long from = Math.min(size, i.size);
        long to = Math.max(size, i.size);
        if (to > from) {
            i.dirty.set((int) (from / SECTOR), (int) ((to - 1) / SECTOR) + 1);
        }
        // Shrinking (or truncating at the end) frees every block past the new end, preallocated
        // ones included; extending allocates nothing (a sparse tail).
        if (size <= i.size) {
            i.allocated = Math.min(i.allocated, roundUp(size));
        }
        i.size = size;
    }

    /** fdatasync: the dirty sectors and the length become durable, unless a sync failed before. */
    synchronized void sync(Inode i, String name) {
        if (i.syncFailed) {
            fsyncRetries.add("fdatasync of " + name + " was called again after it failed (generation " + generation + ")");
        }
        ensureDurable(i, i.size);
        for (int s = i.dirty.nextSetBit(0); s >= 0; s = i.dirty.nextSetBit(s + 1)) {
            if (i.doomed.get(s)) {
                continue; // the kernel dropped these pages at the failed sync: never durable
            }
            int from = s * SECTOR;
            int to = (int) Math.min((long) (s + 1) * SECTOR, i.size);
            if (to > from) {
                System.arraycopy(i.data, from, i.durable, from, to - from);
            }
        }
        i.dirty.clear();
        if (i.durableSize > i.size) {
            Arrays.fill(i.durable, (int) i.size, (int) i.durableSize, (byte) 0);
        }
        i.durableSize = i.size;
    }

    /** An injected fdatasync failure: the dirty pages are marked clean but never reach the disk. */
    synchronized void failSync(Inode i) {
        i.syncFailed = true;
        i.doomed.or(i.dirty);
        i.dirty.clear();
    }

    synchronized long size(Inode i) {
        return i.size;
    }

    synchronized long allocated(Inode i) {
        return i.allocated;
    }

    /** Flips one bit of a file in both images (media corruption of durable data). */
    public synchronized void flipBit(Path file, long offset, int bit) {
        Inode i = lookup(file);
        if (i == null || offset >= i.size) {
            throw new IllegalArgumentException("no byte " + offset + " in " + file);
        }
        i.data[(int) offset] ^= (byte) (1 << bit);
        if (offset < i.durableSize) {
            i.durable[(int) offset] ^= (byte) (1 << bit);
        }
    }

    /** A copy of a file's bytes as the running process sees them. */
    public synchronized byte[] contents(Path file) {
        Inode i = lookup(file);
        if (i == null) {
            throw new IllegalArgumentException("no file " + file);
        }
        return Arrays.copyOf(i.data, (int) i.size);
    }

    // ------------------------------------------------------------------ power

    /**
     * Cuts the power: decides the fate of everything not yet durable from {@code seed}, then
     * makes the result both the durable and the volatile image, kills every open handle and
     * clears the fault plan (the machine reboots healthy).
     *
     * @return a one-line summary of what the cut did (for failure traces)
     */
    public synchronized String powerCut(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int kept = 0;
        int dropped = 0;
        int torn = 0;
        int garbled = 0;
        int dirOpsKept = 0;
        int dirOpsDropped = 0;
        // 1. File data: every inode reachable from either image of any directory.
        Set<Inode> inodes = new LinkedHashSet<>();
        for (Dir d : dirs.values()) {
            inodes.addAll(d.live.values());
            inodes.addAll(d.durable.values());
            for (DirOp op : d.pending) {
                inodes.add(op.inode());
            }
        }
        for (Inode i : inodes) {
            BitSet unsynced = (BitSet) i.dirty.clone();
            unsynced.or(i.doomed);
            // The length: an unsynced size change survives or not as a whole (metadata journal).
            long newSize = i.size != i.durableSize && r.nextBoolean() ? i.size : i.durableSize;
            ensureDurable(i, Math.max(newSize, i.durableSize));
            for (int s = unsynced.nextSetBit(0); s >= 0; s = unsynced.nextSetBit(s + 1)) {
                int from = s * SECTOR;
                int to = (int) Math.min((long) (s + 1) * SECTOR, Math.max(newSize, i.durableSize));
                if (to <= from) {
                    continue;
                }
                boolean doomedSector = i.doomed.get(s);
                int fate = doomedSector ? 1 + r.nextInt(3) : r.nextInt(4);
                switch (fate) {
                    case 0 -> {
                        int n = Math.min(to, (int) i.size) - from;
                        if (n > 0) {
                            System.arraycopy(i.data, from, i.durable, from, n);
                        }
                        kept++;
                    }
                    case 1 -> dropped++;
                    case 2 -> {
                        int cut = from + r.nextInt(to - from);
                        int n = Math.min(cut, (int) i.size) - from;
                        if (n > 0) {
                            System.arraycopy(i.data, from, i.durable, from, n);
                        }
                        torn++;
                    }
                    default -> {
                        for (int b = from; b < to; b++) {
                            i.durable[b] = (byte) r.nextInt();
                        }
                        garbled++;
                    }
                }
            }
            if (newSize < i.durableSize) {
                Arrays.fill(i.durable, (int) newSize, (int) i.durableSize, (byte) 0);
            }
            i.durableSize = newSize;
        }
        // 2. Directory entries: a prefix in order, or any subset in any order.
        for (Dir d : dirs.values()) {
            List<DirOp> ops = d.pending;
            List<DirOp> applied = new ArrayList<>();
            if (btrfsOrder) {
                for (DirOp op : ops) {
                    if (r.nextBoolean()) {
                        applied.add(op);
                    }
                }
                Collections.shuffle(applied, new Random(r.nextLong()));
            } else {
                applied.addAll(ops.subList(0, ops.isEmpty() ? 0 : r.nextInt(ops.size() + 1)));
            }
            for (DirOp op : applied) {
                switch (op.kind()) {
                    case "create" -> d.durable.putIfAbsent(op.name(), op.inode());
                    case "rename" -> {
                        if (d.durable.get(op.name()) == op.inode()) {
                            d.durable.remove(op.name());
                        }
                        d.durable.put(op.to(), op.inode());
                    }
                    default -> {
                        if (d.durable.get(op.name()) == op.inode()) {
                            d.durable.remove(op.name());
                        }
                    }
                }
            }
            dirOpsKept += applied.size();
            dirOpsDropped += ops.size() - applied.size();
        }
        reboot();
        return "power cut (seed " + seed + ", " + (btrfsOrder ? "any-order" : "in-order") + " directory ops): sectors kept "
                + kept + ", dropped " + dropped + ", torn " + torn + ", garbled " + garbled + "; directory ops kept "
                + dirOpsKept + ", dropped " + dirOpsDropped;
    }

    /**
     * Restarts from the durable image: the volatile image becomes it, open handles die, faults
     * are cleared. Without a {@link #powerCut} first this is a clean reboot after everything was
     * synced; tests that model a process crash (the page cache survives) call {@link #processCrash}.
     */
    private void reboot() {
        for (Dir d : dirs.values()) {
            d.live.clear();
            d.live.putAll(d.durable);
            d.pending.clear();
            for (Inode i : d.live.values()) {
                i.data = Arrays.copyOf(i.durable, Math.max(i.durable.length, (int) i.durableSize));
                i.size = i.durableSize;
                i.dirty.clear();
                i.doomed.clear();
                i.syncFailed = false;
                i.allocated = Math.max(i.allocated, roundUp(i.size));
            }
        }
        generation++;
        faults.clear();
    }

    /**
     * A process crash: the page cache and dentries survive (the kernel writes them back later),
     * so everything written becomes durable; open handles die and faults are cleared.
     */
    public synchronized void processCrash() {
        for (Dir d : dirs.values()) {
            for (Inode i : d.live.values()) {
                i.doomed.clear();
                sync(i, "process crash");
                i.syncFailed = false;
            }
            d.durable.clear();
            d.durable.putAll(d.live);
            d.pending.clear();
        }
        // sync() above may have recorded retries for files whose sync failed; that is the kernel's
        // writeback, not the store retrying, so drop those records again.
        fsyncRetries.removeIf(s -> s.contains("process crash"));
        generation++;
        faults.clear();
    }

    private static void ensure(Inode i, long size) {
        if (size > i.data.length) {
            i.data = Arrays.copyOf(i.data, (int) Math.max(size, Math.min(Integer.MAX_VALUE - 8, i.data.length * 2L)));
        }
    }

    private static void ensureDurable(Inode i, long size) {
        if (size > i.durable.length) {
            i.durable = Arrays.copyOf(i.durable, (int) Math.max(size, Math.min(Integer.MAX_VALUE - 8, i.durable.length * 2L)));
        }
    }

    private static long roundUp(long n) {
        return (n + 4095) / 4096 * 4096;
    }
}
