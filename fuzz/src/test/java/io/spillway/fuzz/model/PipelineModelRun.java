package io.spillway.fuzz.model;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.IoFactory;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.cache.CacheCheck;
import io.spillway.engine.cache.CacheConfig;
import io.spillway.engine.cache.PipelineStore;
import io.spillway.engine.cache.SimulatedKill;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.CacheEvictionPolicy;
import io.spillway.engine.config.Durability;
import io.spillway.engine.config.StoreConfig;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.testkit.sim.FaultPlan;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The model-based run of the {@code Cache|Disk} pipeline: the DRAM tier on a real arena under
 * /dev/shm (small, so it evicts), the disk tier on a {@link SimDisk}, operations chosen by a
 * {@link Choices}, and the {@link StoreModel} checked after every step.
 *
 * <p>What the pipeline promises, and the model holds it to:
 * <ul>
 *   <li>A dump that ended OK is <em>cached</em>: loadable until deleted, across reopens and
 *       process crashes (the next owner re-indexes the arena and writes its DIRTY blocks back).
 *       The model makes it required, and remembers that only the shm files keep it.
 *   <li>A dump whose {@link Task#whenDurable()} said durable survives everything, a host reboot
 *       included (a power cut of the disk and the loss of the /dev/shm files).
 *   <li>A host reboot may take every block that was only cached, and nothing else.
 *   <li>Nothing wrong is ever served: a load returns the bytes of a generation the model allows,
 *       or MISSING where the model allows it.
 * </ul>
 * Crashes here are of the process and of the host; the disk tier's own power-cut, index-loss and
 * fault matrix is {@link ModelRun}'s.
 */
final class PipelineModelRun implements AutoCloseable {

    enum Op {
        DUMP(30), LOAD(20), LOOKUP_PREFIX(12), LOOKUP(5), DELETE(6), REOPEN(4), CRASH(4), REBOOT(2), GC(3);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }
    }

    static final AtomicInteger CRASHES = new AtomicInteger();
    static final AtomicInteger REBOOTS = new AtomicInteger();

    /** DRAM slots, for {@link ModelRun#CHAIN} keys: the tier evicts. */
    private static final int SLOTS = 8;
    private static final int SLOT_BYTES = 8192;
    private static final String NS = "fuzz-pipeline";

    private final Choices choices;
    private final String replay;
    private final Path root;
    private final Path cacheDir;
    private final SimDisk disk = new SimDisk();
    private final StoreModel model = new StoreModel();
    private final List<BlockKey> keys = new ArrayList<>();
    /** Required keys whose requirement rests on the disk tier (durable), not on the shm files. */
    private final Set<BlockKey> durable = new HashSet<>();
    private final List<String> trace = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final StoreConfig config;
    private final CacheConfig cacheConfig;
    private PipelineStore store;
    private long nextGen = 1;
    private int steps;

    PipelineModelRun(Choices choices, String replay) throws IOException {
        this.choices = choices;
        this.replay = replay;
        this.root = ModelRun.tempRoot("spillway-pipeline-model-");
        this.cacheDir = root.resolve("cache");
        Path data = root.resolve("data");
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < ModelRun.CHAIN; i++) {
            parent = BlockKey.chain(parent, new int[] {i, 7 * i + 1}, NS);
            keys.add(parent);
        }
        Durability durability = switch (choices.nextInt(4)) {
            case 0 -> Durability.ALWAYS;
            case 1 -> Durability.NONE;
            default -> Durability.BATCH;
        };
        config = StoreConfig.builder().storageBackend(data).indexPath(root.resolve("index")).ioDirect(false)
                .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).kvBlockSize(ByteSize.ofBytes(SLOT_BYTES))
                .streamNumber(1 + choices.nextInt(2)).durability(durability).timeout(Duration.ofSeconds(20))
                .indexCacheSize(ByteSize.ofMiB(8)).build();
        CacheEvictionPolicy policy = choices.nextInt(2) == 0 ? CacheEvictionPolicy.S3FIFO : CacheEvictionPolicy.LRU;
        cacheConfig = CacheConfig.builder(cacheDir, (long) SLOTS * SLOT_BYTES, SLOT_BYTES).policy(policy)
                .promotion(choices.nextInt(3) != 0).writeBackQueueBlocks(4 + choices.nextInt(60)).timeout(config.timeout())
                .build();
        disk.mkdirs(data);
        // With durability none the disk tier may index an unsynced tail that a reboot tore.
        model.corruptionPossible = durability == Durability.NONE;
        log("config: durability " + durability.name().toLowerCase() + ", streams " + config.streamNumber() + ", "
                + SLOTS + " DRAM slots, " + policy.configName() + ", promotion " + cacheConfig.promotion()
                + ", write-back queue " + cacheConfig.writeBackQueueBlocks());
    }

    void open() throws IOException {
        IoFactory onSimDisk = (dir, wantDirect, alignment) -> new SimFileIO(disk, alignment, null);
        store = PipelineStore.open(config, cacheConfig, new SimpleMeterRegistry(), new PosixFileIO(false, 4096), onSimDisk);
        if (store.cacheTier() == null) {
            fail("the DRAM tier did not open: " + store.stats().config().get("cache.state"));
        }
        log("open (" + store.cacheTier().openReport() + ")");
    }

    void run(int n) throws IOException, InterruptedException {
        int total = Arrays.stream(Op.values()).mapToInt(o -> o.weight).sum();
        for (int i = 0; i < n && !choices.exhausted(); i++) {
            int pick = choices.nextInt(total);
            Op op = Op.DUMP;
            for (Op o : Op.values()) {
                if (pick < o.weight) {
                    op = o;
                    break;
                }
                pick -= o.weight;
            }
            step(op);
        }
    }

    private void step(Op op) throws IOException, InterruptedException {
        steps++;
        switch (op) {
            case DUMP -> dump();
            case LOAD -> load(range());
            case LOOKUP_PREFIX -> lookupPrefix();
            case LOOKUP -> lookup();
            case DELETE -> delete();
            case REOPEN -> reopen();
            case CRASH -> crash(false);
            case REBOOT -> crash(true);
            case GC -> gc();
        }
    }

    int steps() {
        return steps;
    }

    private List<BlockKey> range() {
        int from = choices.nextInt(ModelRun.CHAIN);
        int len = 1 + choices.nextInt(Math.min(6, ModelRun.CHAIN - from));
        return keys.subList(from, from + len);
    }

    /** 4, 8 or 12 KiB: the last is larger than a DRAM slot and goes straight to the disk tier. */
    private int sizeOf(BlockKey k) {
        return 4096 * (1 + keys.indexOf(k) % 3);
    }

    private void dump() throws InterruptedException {
        List<BlockKey> ks = range();
        List<MemorySegment> src = new ArrayList<>();
        long[] gens = new long[ks.size()];
        for (int i = 0; i < ks.size(); i++) {
            gens[i] = nextGen++;
            MemorySegment m = choices.nextInt(4) == 0 ? MemorySegment.ofArray(new byte[sizeOf(ks.get(i))])
                    : arena.allocate(sizeOf(ks.get(i)), 4096);
            Content.fill(m, ks.get(i), gens[i]);
            src.add(m);
        }
        Task t = store.dump(ks, src);
        TaskResult cached = t.await(Duration.ofSeconds(60));
        if (cached == null) {
            fail("dump of " + names(ks) + " did not complete in 60 s");
        }
        // Half the time the run waits for the write-back too, and so learns what is durable.
        TaskResult settled = choices.nextInt(2) == 0 ? awaitDurable(t, ks) : null;
        boolean isDurable = settled != null && settled.durable();
        for (int i = 0; i < ks.size(); i++) {
            Outcome o = cached.outcome(i);
            if (o != Outcome.OK && o != Outcome.BUSY) {
                fail("dump of " + ks.get(i).shortHex() + " ended " + o + ": " + cached.details().get(i));
            }
            boolean wasRequired = model.required(ks.get(i));
            // OK means cached: required from here, by the shm files alone unless durable.
            model.dumpEnded(ks.get(i), gens[i], o, o == Outcome.OK, true, true);
            if (o == Outcome.OK && (isDurable || (wasRequired && durable.contains(ks.get(i))))) {
                durable.add(ks.get(i));
            }
        }
        log("dump " + names(ks) + " gens " + Arrays.toString(gens) + " -> " + cached.counts()
                + (settled == null ? "" : isDurable ? ", durable" : ", write-back " + settled.counts()));
    }

    private TaskResult awaitDurable(Task t, List<BlockKey> ks) {
        try {
            return t.whenDurable().get(60, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            fail("the write-back of " + names(ks) + " did not settle in 60 s: " + e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void load(List<BlockKey> ks) throws InterruptedException {
        List<MemorySegment> dst = new ArrayList<>();
        for (BlockKey k : ks) {
            dst.add(arena.allocate(sizeOf(k), 4096));
        }
        TaskResult r = store.load(ks, dst).await(Duration.ofSeconds(60));
        if (r == null) {
            fail("load of " + names(ks) + " did not complete in 60 s");
        }
        log("load " + names(ks) + " -> " + r.outcomes());
        for (int i = 0; i < ks.size(); i++) {
            String bad = model.checkLoad(ks.get(i), r.outcome(i), dst.get(i));
            if (bad != null) {
                fail(bad + " (detail: " + r.details().get(i) + ")");
            }
        }
    }

    private void lookupPrefix() throws IOException, InterruptedException {
        int from = choices.nextInt(4) == 0 ? choices.nextInt(ModelRun.CHAIN) : 0;
        List<BlockKey> chain = keys.subList(from, ModelRun.CHAIN);
        int hits = store.lookupPrefix(chain);
        log("lookupPrefix from " + from + " -> " + hits);
        String bad = model.checkPrefix(chain, from, hits);
        if (bad != null) {
            fail(bad);
        }
        if (hits > 0) {
            load(chain.subList(0, Math.min(hits, 8))); // what lookupPrefix claims, a load returns
        }
    }

    private void lookup() throws IOException {
        List<BlockKey> ks = range();
        BitSet hits = store.lookup(ks);
        log("lookup " + names(ks) + " -> " + hits);
        String bad = model.checkLookup(ks, hits);
        if (bad != null) {
            fail(bad);
        }
    }

    private void delete() throws IOException {
        List<BlockKey> ks = range();
        int n = store.delete(ks);
        model.deleted(ks);
        durable.removeAll(ks);
        log("delete " + names(ks) + " -> " + n);
    }

    /** A GC pass of the disk tier: it may evict durable blocks (the disk tier is a cache too). */
    private void gc() throws IOException {
        long until = choices.nextInt(3) == 0 ? 0 : -1;
        store.diskTier().gc(until);
        model.evictionPossible();
        durable.clear();
        log("disk gc(" + (until == 0 ? "evict all sealed" : "watermarks") + ")");
    }

    /** A clean close and open; the DRAM tier reopens warm. */
    private void reopen() throws IOException, InterruptedException {
        store.close();
        store = null;
        log("close");
        checkCache();
        open();
        verifyAll();
    }

    /**
     * Kills the process: the disk's IO fails from here, so nothing more is written back, and the
     * DRAM tier is left as a kill -9 leaves it ({@link SimulatedKill}). A process crash keeps the
     * page cache and the shm files; a host reboot cuts the disk's power and loses /dev/shm, and with
     * it every block that was only cached.
     */
    private void crash(boolean reboot) throws IOException, InterruptedException {
        (reboot ? REBOOTS : CRASHES).incrementAndGet();
        disk.faults().arm(FaultPlan.Mode.POWER_CUT, 0);
        try {
            SimulatedKill.kill(store);
        } catch (IOException | RuntimeException e) {
            log("  close after the kill: " + e);
        }
        store = null;
        if (reboot) {
            log("host reboot: " + disk.powerCut(choices.nextLong()) + "; /dev/shm lost");
            ModelRun.deleteTree(cacheDir);
            for (BlockKey k : keys) {
                if (model.required(k) && !durable.contains(k)) {
                    model.state(k).required = false; // only the shm files kept it
                }
            }
        } else {
            disk.processCrash();
            log("process crash (page cache and /dev/shm survive)");
            checkCache();
        }
        open();
        verifyAll();
    }

    /** {@code fsck --cache} on the closed cache: it may note an unclean close, never a problem. */
    private void checkCache() throws IOException {
        CacheCheck.Result r = CacheCheck.run(cacheDir, true);
        log("fsck --cache: " + r.cached() + " cached, " + r.dirty() + " dirty, " + r.verified() + " verified, notes " + r.notes());
        if (!r.clean()) {
            fail("fsck --cache reports problems: " + r.problems());
        }
    }

    private void verifyAll() throws IOException, InterruptedException {
        for (int from = 0; from < ModelRun.CHAIN; from += 6) {
            load(keys.subList(from, Math.min(ModelRun.CHAIN, from + 6)));
        }
        lookupPrefix();
    }

    void finish() throws IOException, InterruptedException {
        verifyAll();
        store.close();
        store = null;
        log("close");
        checkCache();
    }

    private void log(String s) {
        trace.add(String.format("%3d %s", trace.size(), s));
    }

    private void fail(String what) {
        StringBuilder sb = new StringBuilder(what).append("\nreplay: ").append(replay).append("\ntrace:\n");
        for (String s : trace) {
            sb.append("  ").append(s).append('\n');
        }
        throw new ModelRun.ModelFailure(sb.toString());
    }

    private String names(List<BlockKey> ks) {
        int first = keys.indexOf(ks.getFirst());
        return "#" + first + (ks.size() > 1 ? "..#" + (first + ks.size() - 1) : "");
    }

    @Override
    public void close() throws IOException {
        if (store != null) {
            try {
                store.close();
            } finally {
                store = null;
            }
        }
        arena.close();
        ModelRun.deleteTree(root);
    }
}
