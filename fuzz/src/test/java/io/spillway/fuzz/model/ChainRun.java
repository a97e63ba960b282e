package io.spillway.fuzz.model;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.segments.io.FileTrees;
import io.spillway.testkit.sim.SimDisk;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * What the model-based runs of the segment store ({@link ModelRun}) and of the {@code Cache|Disk}
 * pipeline ({@link PipelineModelRun}) share: a chain of {@link #CHAIN} keys whose blocks are 4, 8
 * or 12 KiB, the {@link StoreModel}, the trace and the failure that carries it, and the operations
 * whose postconditions are the same for both stores (load, lookup, delete, the first half of a
 * lookupPrefix). Each run adds its store's own operations and promises.
 *
 * @param <S> the store under test
 */
abstract class ChainRun<S extends BlockStore> implements AutoCloseable {

    /** A failed postcondition, with everything needed to replay it. */
    public static final class ModelFailure extends AssertionError {
        ModelFailure(String message) {
            super(message);
        }
    }

    /** How many keys the chain has. */
    static final int CHAIN = 24;

    protected final Choices choices;
    protected final Path root;
    protected final SimDisk disk = new SimDisk();
    protected final StoreModel model = new StoreModel();
    protected final List<BlockKey> keys = new ArrayList<>();
    protected final Arena arena = Arena.ofShared();
    /** The store under test (null between a close or crash and the next open). */
    protected S store;
    protected int steps;
    private final String replay;
    private final List<String> trace = new ArrayList<>();
    private long nextGen = 1;

    /**
     * @param replay the command that replays this run (printed with every failure)
     * @param rootPrefix the name prefix of the run's temporary directory ({@link #tempRoot})
     * @param namespace the namespace of the chain's keys
     */
    protected ChainRun(Choices choices, String replay, String rootPrefix, String namespace) throws IOException {
        this.choices = choices;
        this.replay = replay;
        this.root = tempRoot(rootPrefix);
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < CHAIN; i++) {
            parent = BlockKey.chain(parent, new int[] {i, 7 * i + 1}, namespace);
            keys.add(parent);
        }
    }

    public int steps() {
        return steps;
    }

    public List<String> trace() {
        return List.copyOf(trace);
    }

    protected void log(String s) {
        trace.add(String.format("%3d %s", trace.size(), s));
    }

    void fail(String what) {
        StringBuilder sb = new StringBuilder(what).append("\nreplay: ").append(replay).append("\ntrace:\n");
        for (String s : trace) {
            sb.append("  ").append(s).append('\n');
        }
        throw new ModelFailure(sb.toString());
    }

    /** A part of a run that may throw anything: see {@link #traced}. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code work} and returns its result. Anything it throws but a {@link ModelFailure} fails
     * the run as "{@code what} threw ..." ({@link #fail}), so that the failure carries the replay
     * line and the trace.
     */
    <T> T traced(String what, Work<T> work) {
        T result = null;
        try {
            result = work.run();
        } catch (ModelFailure e) {
            throw e;
        } catch (Exception | AssertionError e) {
            fail(what + " threw " + e);
        }
        return result;
    }

    /** One operation of {@code ops}, drawn with the given weights (a weight of 0 is never drawn). */
    protected <E extends Enum<E>> E pick(E[] ops, ToIntFunction<E> weight) {
        int total = 0;
        for (E o : ops) {
            total += weight.applyAsInt(o);
        }
        int pick = choices.nextInt(total);
        for (E o : ops) {
            if (pick < weight.applyAsInt(o)) {
                return o;
            }
            pick -= weight.applyAsInt(o);
        }
        return ops[0];
    }

    /** Up to 6 consecutive keys of the chain. */
    protected List<BlockKey> range() {
        int from = choices.nextInt(CHAIN);
        int len = 1 + choices.nextInt(Math.min(6, CHAIN - from));
        return keys.subList(from, from + len);
    }

    /** 4, 8 or 12 KiB by the key's place in the chain. */
    protected int sizeOf(BlockKey k) {
        return 4096 * (1 + keys.indexOf(k) % 3);
    }

    protected String names(List<BlockKey> ks) {
        int first = keys.indexOf(ks.getFirst());
        return "#" + first + (ks.size() > 1 ? "..#" + (first + ks.size() - 1) : "");
    }

    /** A dump of a {@link #range} that completed: its keys, the generation each was given, its task and result. */
    protected record Dumped(List<BlockKey> keys, long[] gens, Task task, TaskResult result) {
    }

    /**
     * Dumps a {@link #range} of keys, each block filled with a new generation's {@link Content},
     * from a heap buffer one time in four (the staged write path) or native memory (the gather
     * path); fails the run if the task does not complete in 60 s.
     */
    protected Dumped dumpRange() throws InterruptedException {
        List<BlockKey> ks = range();
        List<MemorySegment> src = new ArrayList<>();
        long[] gens = new long[ks.size()];
        for (int i = 0; i < ks.size(); i++) {
            gens[i] = nextGen++;
            MemorySegment m = choices.nextInt(4) == 0
                    ? MemorySegment.ofArray(new byte[sizeOf(ks.get(i))])
                    : arena.allocate(sizeOf(ks.get(i)), 4096);
            Content.fill(m, ks.get(i), gens[i]);
            src.add(m);
        }
        Task t = store.dump(ks, src);
        TaskResult r = t.await(Duration.ofSeconds(60));
        if (r == null) {
            fail("dump of " + names(ks) + " did not complete in 60 s");
        }
        return new Dumped(ks, gens, t, r);
    }

    /** Loads {@code ks}; every outcome and every byte loaded must be one the model allows. */
    protected void load(List<BlockKey> ks) throws InterruptedException {
        List<MemorySegment> dst = destinations(ks);
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

    /** A native destination of each key's size. */
    protected List<MemorySegment> destinations(List<BlockKey> ks) {
        List<MemorySegment> dst = new ArrayList<>();
        for (BlockKey k : ks) {
            dst.add(arena.allocate(sizeOf(k), 4096));
        }
        return dst;
    }

    /**
     * A lookupPrefix of the chain (from its start, or one time in four from a random key), checked
     * against the model.
     *
     * @return the first (up to 8) keys it claims, for the run to load: "lookupPrefix never claims
     *     a block that a load then cannot return"
     */
    protected List<BlockKey> lookupPrefixClaimed() throws IOException {
        int from = choices.nextInt(4) == 0 ? choices.nextInt(CHAIN) : 0;
        List<BlockKey> chain = keys.subList(from, CHAIN);
        int hits = store.lookupPrefix(chain);
        log("lookupPrefix from " + from + " -> " + hits);
        String bad = model.checkPrefix(chain, from, hits);
        if (bad != null) {
            fail(bad);
        }
        return chain.subList(0, Math.min(hits, 8));
    }

    /** A lookupPrefix and the load of what it claims. */
    protected abstract void lookupPrefix() throws IOException, InterruptedException;

    protected void lookup() throws IOException {
        List<BlockKey> ks = range();
        BitSet hits = store.lookup(ks);
        log("lookup " + names(ks) + " -> " + hits);
        String bad = model.checkLookup(ks, hits);
        if (bad != null) {
            fail(bad);
        }
    }

    /** Deletes a {@link #range}; returns its keys. */
    protected List<BlockKey> delete() throws IOException {
        List<BlockKey> ks = range();
        int n = store.delete(ks);
        model.deleted(ks);
        log("delete " + names(ks) + " -> " + n);
        return ks;
    }

    /** Loads every key, six at a time, and checks the whole chain's lookupPrefix. */
    protected void verifyChain() throws IOException, InterruptedException {
        for (int from = 0; from < CHAIN; from += 6) {
            load(keys.subList(from, Math.min(CHAIN, from + 6)));
        }
        lookupPrefix();
    }

    /**
     * A fresh temporary directory, on tmpfs (/dev/shm) where there is one: segments live on the
     * simulated disk, but RocksDB writes the index for real and fsyncs every synced batch, and
     * thousands of seeds would otherwise wait on the real disk rather than test anything.
     */
    public static Path tempRoot(String prefix) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm) && !Boolean.getBoolean("spillway.fuzz.noShm")) {
            return Files.createTempDirectory(shm, prefix);
        }
        return Files.createTempDirectory(prefix);
    }
}
