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
import io.spillway.segments.io.FileTrees;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.testkit.sim.FaultPlan;
import io.spillway.testkit.sim.SimDisk;
import io.spillway.testkit.sim.SimFileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
final class PipelineModelRun extends ChainRun<PipelineStore> {

    enum Op {
        DUMP(30), LOAD(20), LOOKUP_PREFIX(12), LOOKUP(5), DELETE(6), REOPEN(4), CRASH(4), REBOOT(2), GC(3);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }
    }

    static final AtomicInteger CRASHES = new AtomicInteger();
    static final AtomicInteger REBOOTS = new AtomicInteger();

    /** DRAM slots, for {@link #CHAIN} keys: the tier evicts. */
    private static final int SLOTS = 8;
    private static final int SLOT_BYTES = 8192;

    private final Path cacheDir;
    /** Required keys whose requirement rests on the disk tier (durable), not on the shm files. */
    private final Set<BlockKey> durable = new HashSet<>();
    private final StoreConfig config;
    private final CacheConfig cacheConfig;

    PipelineModelRun(Choices choices, String replay) throws IOException {
        super(choices, replay, "spillway-pipeline-model-", "fuzz-pipeline");
        this.cacheDir = root.resolve("cache");
        Path data = root.resolve("data");
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
        for (int i = 0; i < n && !choices.exhausted(); i++) {
            step(pick(Op.values(), o -> o.weight));
        }
    }

    private void step(Op op) throws IOException, InterruptedException {
        steps++;
        switch (op) {
            case DUMP -> dump();
            case LOAD -> load(range());
            case LOOKUP_PREFIX -> lookupPrefix();
            case LOOKUP -> lookup();
            case DELETE -> durable.removeAll(delete());
            case REOPEN -> reopen();
            case CRASH -> crash(false);
            case REBOOT -> crash(true);
            case GC -> gc();
        }
    }

    /** Blocks of 12 KiB (the third key in three) are larger than a DRAM slot and go straight to the disk tier. */
    private void dump() throws InterruptedException {
        Dumped d = dumpRange();
        List<BlockKey> ks = d.keys();
        long[] gens = d.gens();
        TaskResult cached = d.result();
        // Half the time the run waits for the write-back too, and so learns what is durable.
        TaskResult settled = choices.nextInt(2) == 0 ? awaitDurable(d.task(), ks) : null;
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

    @Override
    protected void lookupPrefix() throws IOException, InterruptedException {
        List<BlockKey> claimed = lookupPrefixClaimed();
        if (!claimed.isEmpty()) {
            load(claimed); // what lookupPrefix claims, a load returns
        }
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
        verifyChain();
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
            FileTrees.deleteRecursively(cacheDir);
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
        verifyChain();
    }

    /** {@code fsck --cache} on the closed cache: it may note an unclean close, never a problem. */
    private void checkCache() throws IOException {
        CacheCheck.Result r = CacheCheck.run(cacheDir, true);
        log("fsck --cache: " + r.cached() + " cached, " + r.dirty() + " dirty, " + r.verified() + " verified, notes " + r.notes());
        if (!r.clean()) {
            fail("fsck --cache reports problems: " + r.problems());
        }
    }

    void finish() throws IOException, InterruptedException {
        verifyChain();
        store.close();
        store = null;
        log("close");
        checkCache();
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
        FileTrees.deleteRecursively(root);
    }
}
