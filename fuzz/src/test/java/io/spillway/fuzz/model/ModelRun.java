package io.spillway.fuzz.model;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.SegmentStore;
import io.spillway.engine.IoFactory;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.FileTrees;
import io.spillway.testkit.sim.FaultPlan;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One model-based run: a store on a {@link SimDisk}, a sequence of operations chosen by a
 * {@link Choices}, and the {@link StoreModel} checked after every step. Used by the seeded
 * power-cut test, the Jazzer model fuzz target and the crash-point enumeration alike.
 *
 * <p>Every step is appended to a trace; a failed postcondition throws a {@link ModelFailure}
 * carrying the trace and the replay command.
 *
 * <h2>Operations</h2>
 * {@link Op} is the operation set. Adding one is an enum constant and a case in {@link #step}:
 * <ul>
 *   <li><b>gc</b>: a GC pass, either the watermark policy (compaction of sparse segments) or
 *       forced eviction of every sealed segment; in the model nothing is required after it (a
 *       cache may evict), while every byte a load returns must still be right. A dump during
 *       which the store evicted (its emergency eviction at the capacity or on ENOSPC) counts
 *       the same way.
 * </ul>
 * A recovery (a reopen after a crash) is followed by a clean close, {@code fsck --deep} on the
 * store's files, which must report no problem, and a reopen ({@link #fsckAfterRecovery}): always
 * after the final crash of a run, and after half of the mid-run {@code CRASH} operations (the
 * others go on at once, so that crashes also hit a store recovery left as it was).
 */
public final class ModelRun extends ChainRun<SegmentStore> {

    /** The operations, each with its weight in a random run. */
    enum Op {
        DUMP(30), LOAD(20), LOOKUP_PREFIX(12), LOOKUP(5), COMMIT(6), ROLLBACK(5), DELETE(6), REOPEN(4), CRASH(4), GC(3);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }
    }

    /** What happens to the RocksDB index (outside the simulated disk) at a crash. */
    enum IndexFate {
        /** Kept as it is: a process crash, or a power cut after which RocksDB's synced WAL survived. */
        KEEP,
        /** Rolled back to the copy taken at the last clean close: a stale index. */
        ROLLBACK,
        /** Deleted: a lost index. */
        DELETE
    }

    static final java.util.concurrent.atomic.AtomicLong OPEN_NS = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong CLOSE_NS = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong FSCK_NS = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong FSCK_RUNS = new java.util.concurrent.atomic.AtomicLong();
    /** The store's count of segments evicted whole, by a GC pass or a writer's emergency eviction. */
    private static final String EVICTED_SEGMENTS = "spillway.gc.evicted.segments";

    private final Path data;
    private final Path index;
    private final Path checkpoint;
    private final StoreConfig config;
    private final boolean capped;
    /** Some blocks of {@link #LARGE_BLOCK} bytes, larger than the 1 MiB write group (see the constructor). */
    private final boolean largeBlocks;
    static final int LARGE_BLOCK = 1536 << 10;
    private long compactions;
    private final boolean autoCommit;
    private final Long shuffleSeed;
    private final Set<IndexFate> fates;
    private Map<BlockKey, Set<Long>> checkpointMay;
    private int crashes;
    private boolean bitsFlipped;

    /**
     * @param replay the command that replays this run (printed with every failure)
     * @param fates the index fates a crash may pick (see {@link IndexFate})
     */
    public ModelRun(Choices choices, String replay, Set<IndexFate> fates) throws IOException {
        super(choices, replay, "spillway-model-", "fuzz-model");
        this.fates = fates;
        this.data = root.resolve("data");
        this.index = root.resolve("index");
        this.checkpoint = root.resolve("index-checkpoint");
        Durability durability = switch (choices.nextInt(5)) {
            case 0 -> Durability.ALWAYS;
            case 1 -> Durability.NONE;
            default -> Durability.BATCH;
        };
        this.autoCommit = choices.nextInt(3) != 0;
        int streams = 1 + choices.nextInt(2);
        boolean capped = choices.nextInt(4) == 0;
        StoreConfig.Builder b = StoreConfig.builder().storageBackend(data).indexPath(index).ioDirect(false)
                .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).kvBlockSize(ByteSize.ofKiB(4))
                .streamNumber(streams).durability(durability).autoCommit(autoCommit).timeout(Duration.ofSeconds(20))
                .indexCacheSize(ByteSize.ofMiB(8));
        if (capped) {
            b.capacity(Capacity.of(ByteSize.ofMiB(3)));
        }
        disk.reorderDirectoryOps(choices.nextInt(3) == 0);
        this.shuffleSeed = choices.nextInt(2) == 0 ? null : choices.nextLong();
        // About one run in eight (uncapped, listing shuffled, by that seed) stores some blocks larger
        // than a write group, in 4 MiB segments: the GC once copied such blocks nowhere and then
        // evicted their segment. Derived from a value already drawn, so that every seed's walk is
        // the one it was.
        this.largeBlocks = !capped && shuffleSeed != null && Math.floorMod(shuffleSeed, 3) == 0;
        this.capped = capped;
        if (largeBlocks) {
            // One live 1.5 MiB block keeps a 4 MiB segment above the default threshold of 0.3, so
            // such a segment would never be compacted with it: 0.6 lets compaction move it.
            b.segmentSize(ByteSize.ofMiB(4)).compactionThreshold(0.6);
        }
        this.config = b.build();
        disk.mkdirs(data);
        if (choices.nextInt(4) == 0) {
            // Lucene's ExtrasFS: a file the store did not write must be left alone and not confuse it.
            disk.plant(data.resolve("extra0.txt"), new byte[] {1, 2, 3});
            disk.plant(data.resolve("seg-notanumber.seg"), new byte[4096]);
        }
        model.corruptionPossible = durability == Durability.NONE; // an unsynced tail may be indexed
        log("config: durability " + durability.name().toLowerCase() + ", auto_commit " + autoCommit + ", streams " + streams
                + ", capacity " + (capped ? "3MiB" : "unlimited") + ", listing " + (shuffleSeed == null ? "sorted" : "shuffled")
                + (largeBlocks ? ", blocks up to " + LARGE_BLOCK + " bytes in 4 MiB segments" : "")
                + ", foreign files " + disk.names(data).size());
    }

    /** Whether this run stores some blocks larger than a write group. */
    public boolean largeBlocks() {
        return largeBlocks;
    }

    /** Segments compacted by the run's own GC passes. */
    public long compactions() {
        return compactions;
    }

    /** {@link ChainRun#sizeOf}, and in a large-block run every fifth key of {@link #LARGE_BLOCK} bytes. */
    @Override
    protected int sizeOf(BlockKey k) {
        return largeBlocks && keys.indexOf(k) % 5 == 4 ? LARGE_BLOCK : super.sizeOf(k);
    }

    /** The simulated disk (tests arm faults on it). */
    public SimDisk disk() {
        return disk;
    }

    public int crashes() {
        return crashes;
    }

    /** Opens the store (first open, or after a clean close). */
    public void open() throws IOException {
        IoFactory factory = (dir, wantDirect, alignment) -> new SimFileIO(disk, alignment, shuffleSeed);
        long t0 = System.nanoTime();
        store = SegmentStore.open(config, new SimpleMeterRegistry(), factory);
        OPEN_NS.addAndGet(System.nanoTime() - t0);
        log("open");
    }

    /**
     * Runs {@code n} random operations (fewer if the choices run dry).
     *
     * @param restarts whether REOPEN and CRASH are among them (each costs a store open, the
     *     dominant cost of a seed, so the many-seed power-cut test leaves them to the final cut)
     */
    public void run(int n, boolean restarts) throws IOException, InterruptedException {
        for (int i = 0; i < n && !choices.exhausted(); i++) {
            step(pick(Op.values(), o -> weight(o, restarts)));
        }
    }

    private static int weight(Op op, boolean restarts) {
        return !restarts && (op == Op.REOPEN || op == Op.CRASH) ? 0 : op.weight;
    }

    /** Runs one operation and checks the postconditions. */
    void step(Op op) throws IOException, InterruptedException {
        steps++;
        switch (op) {
            case DUMP -> dump();
            case LOAD -> load(range());
            case LOOKUP_PREFIX -> lookupPrefix();
            case LOOKUP -> lookup();
            case COMMIT -> commit(true);
            case ROLLBACK -> commit(false);
            case DELETE -> delete();
            case REOPEN -> reopen();
            case CRASH -> crash();
            case GC -> gc();
        }
        checkSpace();
    }

    private void dump() throws InterruptedException {
        long evictedBefore = counter(EVICTED_SEGMENTS);
        Dumped d = dumpRange();
        List<BlockKey> ks = d.keys();
        long[] gens = d.gens();
        TaskResult r = d.result();
        for (int i = 0; i < ks.size(); i++) {
            model.dumpEnded(ks.get(i), gens[i], r.outcome(i), r.durable(), autoCommit, true);
        }
        log("dump " + names(ks) + " gens " + java.util.Arrays.toString(gens) + " -> " + r.counts() + (r.durable() ? " durable" : ""));
        long evicted = counter(EVICTED_SEGMENTS) - evictedBefore;
        if (evicted > 0) {
            // The emergency eviction a writer runs when a new segment does not fit: at the
            // capacity, or on ENOSPC from the file system with or without one (README, "Space
            // and the GC"). A cache may evict, so from here on nothing is required, this dump's
            // blocks included; an uncapped store with no fault injected has no reason to.
            if (!capped && !model.faultsActive) {
                fail("an uncapped store evicted " + evicted + " segment(s) during a dump with no fault injected");
            }
            model.evictionPossible();
            log("  emergency eviction during the dump: " + evicted + " segment(s)");
        }
        for (int i = 0; i < ks.size(); i++) {
            Outcome o = r.outcome(i);
            if (o != Outcome.OK && o != Outcome.STORE_FULL && !(model.faultsActive && (o == Outcome.IO_ERROR || o == Outcome.TIMEOUT))) {
                fail("dump of " + ks.get(i).shortHex() + " ended " + o + ": " + r.details().get(i));
            }
        }
    }

    /** Without faults or possible corruption, every block lookupPrefix claims must load OK. */
    @Override
    protected void lookupPrefix() throws IOException, InterruptedException {
        List<BlockKey> claimed = lookupPrefixClaimed();
        if (!claimed.isEmpty()) {
            boolean strict = !model.faultsActive && !model.corruptionPossible;
            List<MemorySegment> dst = destinations(claimed);
            TaskResult r = store.load(claimed, dst).await(Duration.ofSeconds(60));
            if (r == null) {
                fail("load after lookupPrefix did not complete");
            }
            log("  load of the claimed prefix -> " + r.outcomes());
            for (int i = 0; i < claimed.size(); i++) {
                if (strict && r.outcome(i) != Outcome.OK) {
                    fail("lookupPrefix claimed " + claimed.get(i).shortHex() + " but its load ended " + r.outcome(i) + ": " + r.details().get(i));
                }
                String bad = model.checkLoad(claimed.get(i), r.outcome(i), dst.get(i));
                if (bad != null) {
                    fail(bad);
                }
            }
        }
    }

    private void commit(boolean success) throws IOException {
        List<BlockKey> ks = range();
        int n;
        try {
            n = store.commit(ks, success);
        } catch (IOException e) {
            log("commit(" + names(ks) + ", " + success + ") threw " + e.getMessage());
            if (success) {
                model.commitInDoubt(ks);
            }
            if (model.faultsActive) {
                return; // a clear outcome under an injected fault: the blocks stay uncommitted
            }
            throw e;
        }
        model.committed(ks, success, config.durability() != Durability.NONE);
        log("commit(" + names(ks) + ", " + success + ") -> " + n);
    }

    /**
     * A GC pass: compaction and the watermark policy, or (one time in three) eviction of everything
     * sealed. In an uncapped store the watermark pass may only compact, which keeps every live
     * block: then no required block may go missing (unless faults or a torn, possibly corrupt
     * block, which the GC rightly does not copy, are in play).
     */
    private void gc() throws IOException {
        long until = choices.nextInt(3) == 0 ? 0 : -1;
        String what = "gc(" + (until == 0 ? "evict all sealed" : "watermarks") + ")";
        io.spillway.engine.GcReport r;
        try {
            r = store.gc(until);
        } catch (IOException e) {
            if (!model.faultsActive) {
                throw e;
            }
            // An injected EIO on a read the pass needed (copying a live block forward) ends the
            // pass with the error; what it evicted before stays evicted.
            model.evictionPossible();
            log(what + " threw " + e.getMessage());
            return;
        }
        if (until == 0 || capped || model.faultsActive || model.corruptionPossible) {
            model.evictionPossible();
        }
        compactions += r.compactedSegments();
        log(what + " -> " + r.evictedSegments() + " evicted, "
                + r.compactedSegments() + " compacted, " + r.reinsertedBlocks() + " reinserted");
    }

    /** A clean close and open; the index is checkpointed in between (for the stale-index fate). */
    public void reopen() throws IOException {
        store.close();
        model.crashed(); // close drops undecided manual-commit dumps as a crash does
        copyIndex(index, checkpoint);
        checkpointMay = snapshotMay();
        log("close (index checkpointed)");
        open();
        verifyAll();
    }

    /**
     * Kills the store mid-flight: its disk dies, close() then cannot seal or sync anything, and the
     * machine loses power (or, one time in four, only the process dies and the page cache survives).
     */
    public void crash() throws IOException {
        boolean processOnly = choices.nextInt(4) == 0;
        disk.faults().arm(FaultPlan.Mode.POWER_CUT, 0);
        // Half of the mid-run recoveries skip the fsck (and the clean close it needs), so that a
        // later crash also hits a store that recovery left and no clean close tidied up.
        crashAndRecover(processOnly, choices.nextLong(), choices.nextInt(2) == 0);
    }

    /**
     * The disk is already dead (or failing): closes the store without letting it write anything
     * more, cuts the power with {@code seed} (or models a process crash), applies an index fate,
     * reopens, and checks the recovered store with fsck.
     */
    public void crashAfterFault(boolean processOnly, long seed) throws IOException {
        crashAndRecover(processOnly, seed, true);
    }

    private void crashAndRecover(boolean processOnly, long seed, boolean fsck) throws IOException {
        crashes++;
        disk.faults().arm(FaultPlan.Mode.POWER_CUT, 0);
        closeQuietly();
        String what;
        if (processOnly) {
            disk.processCrash();
            what = "process crash (page cache survives)";
        } else {
            what = disk.powerCut(seed);
        }
        model.crashed();
        log(what);
        reopenAfterCrash(fsck);
    }

    private void closeQuietly() {
        if (store == null) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            store.close();
            CLOSE_NS.addAndGet(System.nanoTime() - t0);
        } catch (IOException | RuntimeException e) {
            log("  close after the fault: " + e);
        }
        store = null;
    }

    /** Applies an index fate, reopens on what the crash left, and checks every key. */
    private void reopenAfterCrash(boolean fsck) throws IOException {
        List<IndexFate> allowed = new ArrayList<>(fates);
        if (checkpointMay == null) {
            allowed.remove(IndexFate.ROLLBACK);
        }
        IndexFate fate = allowed.get(choices.nextInt(allowed.size()));
        switch (fate) {
            case KEEP -> {
            }
            case ROLLBACK -> {
                FileTrees.deleteRecursively(index);
                copyIndex(checkpoint, index);
                // A stale index still points at real, immutable records, so it may serve what it
                // held at the checkpoint, a since-deleted block included: that is right bytes of an
                // older dump, so the older generations are allowed. Every durable block is still
                // required (recovery reconciles the segments and the commit log with it).
                model.indexLost();
                checkpointMay.forEach((k, gens) -> model.state(k).may.addAll(gens));
            }
            case DELETE -> {
                FileTrees.deleteRecursively(index);
                model.indexLost();
            }
        }
        log("index " + fate.name().toLowerCase());
        try {
            open();
        } catch (IOException | RuntimeException e) {
            fail("open failed on a store the crash produced: " + e);
        }
        if (fsck) {
            fsckAfterRecovery();
        }
        List<String> retries = disk.fsyncRetries();
        if (!retries.isEmpty()) {
            fail("a failed fsync was retried: " + retries);
        }
        verifyAll();
    }

    /**
     * Closes the recovered store, runs {@code fsck --deep} on it (through the simulated disk) and
     * reopens it: recovery must leave nothing for fsck to repair, whatever the cut did. Only
     * bits flipped on purpose may show (as corruption fsck reports).
     */
    private void fsckAfterRecovery() throws IOException {
        store.close();
        store = null;
        model.crashed(); // a clean close drops undecided manual-commit dumps, as a crash does
        long t0 = System.nanoTime();
        io.spillway.recovery.Fsck.Result r = io.spillway.recovery.Fsck.run(data, index, true, false,
                new SimFileIO(disk, (int) config.alignment().bytes(), shuffleSeed));
        FSCK_NS.addAndGet(System.nanoTime() - t0);
        FSCK_RUNS.incrementAndGet();
        log("fsck --deep after recovery: " + r.segments() + " segments, " + r.indexEntries() + " index entries, "
                + r.problems().size() + " problems");
        if (!r.problems().isEmpty() && !bitsFlipped) {
            fail("fsck after recovery reports " + r.problems().size() + " problem(s): " + r.problems());
        }
        open();
    }

    /** Loads every key and checks the whole chain's lookups against the model. */
    public void verifyAll() throws IOException {
        try {
            verifyChain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The space bound (invariant 4): capacity plus at most one segment per writer. */
    private void checkSpace() {
        long cap = config.capacity().resolve(Long.MAX_VALUE);
        if (cap == Long.MAX_VALUE) {
            return;
        }
        // The commit log sits beside the segments and outside the capacity: its own compaction
        // bounds it (Publisher.COMPACT_AT_LEAST, or twice its live entries).
        long used = disk.allocatedBytes() - disk.allocatedBytes(data.resolve(io.spillway.segments.CommitLog.FILE_NAME));
        // One segment per active writer: the dump writers and the GC's own.
        long bound = cap + config.segmentSize().bytes() * (config.streamNumber() + 1) + 64 * 1024; // + foreign files
        if (used > bound) {
            StringBuilder files = new StringBuilder();
            for (String name : disk.names(data).stream().sorted().toList()) {
                files.append(' ').append(name).append('=').append(disk.allocatedBytes(data.resolve(name)));
            }
            fail("space bound broken: " + used + " bytes allocated, capacity " + cap + " + one segment per writer = " + bound
                    + "; allocated per file:" + files);
        }
    }

    /** Closes the store cleanly; checks no failed fsync was retried. */
    public void finish() throws IOException {
        if (store != null) {
            store.close();
            model.crashed();
            store = null;
            log("close");
        }
        if (!disk.fsyncRetries().isEmpty()) {
            fail("a failed fsync was retried: " + disk.fsyncRetries());
        }
    }

    /**
     * Media corruption: flips {@code n} random bits in the payload area of the store's sealed
     * segments (durable and volatile images alike), after which a load may report CORRUPT.
     *
     * @return how many bits were flipped (0 if there is no sealed segment yet)
     */
    public int flipBitsInSealedSegments(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<String> sealed = disk.names(data).stream().filter(f -> f.startsWith("seg-") && f.endsWith(".seg")).sorted().toList();
        if (sealed.isEmpty()) {
            return 0;
        }
        int done = 0;
        for (int i = 0; i < n; i++) {
            Path f = data.resolve(sealed.get(r.nextInt(sealed.size())));
            int len = disk.contents(f).length;
            long off = r.nextLong(len);
            int bit = r.nextInt(8);
            disk.flipBit(f, off, bit);
            log("flip bit " + bit + " of byte " + off + " of " + f.getFileName());
            done++;
        }
        model.corruptionPossible = true;
        bitsFlipped |= done > 0;
        return done;
    }

    /** Counts a store meter (e.g. {@code spillway.corrupt.blocks}) of the open store. */
    public long counter(String name) {
        return (long) store.metrics().get(name).counter().count();
    }

    /** The store being tested (null between a crash and its reopen). */
    public SegmentStore store() {
        return store;
    }

    public StoreModel model() {
        return model;
    }

    public List<BlockKey> keys() {
        return List.copyOf(keys);
    }

    /**
     * The crash-point enumeration's workload: opens the store and runs {@code n} operations
     * without restarts, stopping early once a planned power cut was reached (the machine is off:
     * nothing more runs on it). A store that fails to open under an injected fault is fine (a
     * clear IOException); the run then goes straight to recovery.
     */
    public void runUntilFault(int n) throws IOException, InterruptedException {
        try {
            open();
        } catch (IOException e) {
            log("open failed under the fault: " + e.getMessage());
            return;
        }
        for (int i = 0; i < n && !disk.faults().cutRequested(); i++) {
            Op op = pick(Op.values(), o -> weight(o, false));
            try {
                step(op);
            } catch (IOException e) {
                // An index-only operation (commit, delete, lookup) never touches the simulated
                // disk, so an IOException here comes from the store refusing work after a fault.
                log("  " + op + " threw " + e.getMessage());
            }
        }
        if (!disk.faults().cutRequested()) {
            try {
                store.close();
                log("close");
            } catch (IOException e) {
                log("close failed under the fault: " + e.getMessage());
            }
            store = null;
            model.crashed();
        }
    }

    private Map<BlockKey, Set<Long>> snapshotMay() {
        Map<BlockKey, Set<Long>> m = new HashMap<>();
        for (BlockKey k : keys) {
            m.put(k, new HashSet<>(model.state(k).may));
        }
        return m;
    }

    private static void copyIndex(Path from, Path to) throws IOException {
        FileTrees.deleteRecursively(to);
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.toList()) {
                if (!f.getFileName().toString().equals("LOCK")) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Closes the store if open and deletes the run's temporary directory. */
    @Override
    public void close() throws IOException {
        closeQuietly();
        arena.close();
        FileTrees.deleteRecursively(root);
    }
}
