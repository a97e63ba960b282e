package io.spillway.gpu;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.BlockKey;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Dumps and loads engine KV blocks between the GPU and a {@link BlockStore}, through the pinned
 * staging pool.
 *
 * <p>Pipelining: the blocks are cut into batches of one staging buffer each. A load submits a
 * store load for as many batches as there are buffers; while the store's reader threads fill
 * later buffers from disk, the caller's thread scatters the finished one into the KV cache and
 * hands the buffer to the next batch. A dump gathers a batch into a buffer, submits its store
 * dump and gathers the next batch into another buffer while the store's writers write the first.
 * Disk IO and PCIe copies so overlap with double (or deeper) buffering.
 *
 * <p>Invariant 1 holds through the GPU: the store verifies every block's CRC32C in its own
 * buffer before copying it into staging, and only blocks whose outcome is {@link Outcome#OK} are
 * scattered; the KV cache of any other block is left untouched.
 */
public final class GpuBlockStore implements AutoCloseable {

    private final BlockStore store;
    private final GpuDevice device;
    private final GpuConfig config;
    private final KvLayout layout;
    private final PinnedStagingPool pool;
    private final BlockCopier copier;
    private final int blocksPerBuffer;

    public GpuBlockStore(BlockStore store, GpuDevice device, GpuConfig config, KvLayout layout) {
        this.store = store;
        this.device = device;
        this.config = config;
        this.layout = layout;
        long blockBytes = layout.blockBytes();
        if (blockBytes > config.stagingBufferSize()) {
            throw new IllegalArgumentException("a store block of " + blockBytes + " bytes does not fit staging_buffer_size "
                    + config.stagingBufferSize());
        }
        this.blocksPerBuffer = (int) (config.stagingBufferSize() / blockBytes);
        this.pool = new PinnedStagingPool(device, blocksPerBuffer * blockBytes, config.maxStagingMemory());
        this.copier = new BlockCopier(device, layout, config.copyStreams());
    }

    public PinnedStagingPool pool() {
        return pool;
    }

    public BlockCopier copier() {
        return copier;
    }

    /** Dumps engine blocks {@code blockIds[i]} under {@code keys.get(i)}; one outcome per block. */
    public Outcome[] dump(List<BlockKey> keys, int[] blockIds, Duration timeout) throws InterruptedException {
        check(keys, blockIds);
        BlockCopier.Method method = config.useKernelCopyWrite() ? BlockCopier.Method.KERNEL : BlockCopier.Method.DMA;
        Outcome[] out = new Outcome[blockIds.length];
        Deque<Batch> inFlight = new ArrayDeque<>();
        try {
            for (int from = 0; from < blockIds.length; from += blocksPerBuffer) {
                if (inFlight.size() == pool.buffers()) {
                    finish(inFlight.poll(), out, false);
                }
                int to = Math.min(blockIds.length, from + blocksPerBuffer);
                PinnedStagingPool.PinnedBuffer buf = pool.acquire(timeout);
                Batch b = new Batch(from, to, buf);
                try {
                    copier.gather(Arrays.copyOfRange(blockIds, from, to), b.hostAddrs(), method);
                } catch (RuntimeException e) {
                    buf.close();
                    throw e;
                }
                b.task = store.dump(keys.subList(from, to), b.slices());
                inFlight.add(b);
            }
            while (!inFlight.isEmpty()) {
                finish(inFlight.poll(), out, false);
            }
        } catch (TimeoutException e) {
            fillMissing(out, Outcome.TIMEOUT);
        } finally {
            drain(inFlight);
        }
        return out;
    }

    /**
     * Loads {@code keys.get(i)} into engine block {@code blockIds[i]}; one outcome per block.
     * Blocks that are not {@link Outcome#OK} leave their KV memory untouched.
     */
    public Outcome[] load(List<BlockKey> keys, int[] blockIds, Duration timeout) throws InterruptedException {
        check(keys, blockIds);
        Outcome[] out = new Outcome[blockIds.length];
        Deque<Batch> inFlight = new ArrayDeque<>();
        int next = 0;
        try {
            while (next < blockIds.length && inFlight.size() < pool.buffers()) {
                inFlight.add(submitLoad(keys, blockIds, next, timeout));
                next += blocksPerBuffer;
            }
            while (!inFlight.isEmpty()) {
                Batch b = inFlight.poll();
                finish(b, out, true);
                if (next < blockIds.length) {
                    inFlight.add(submitLoad(keys, blockIds, next, timeout));
                    next += blocksPerBuffer;
                }
            }
        } catch (TimeoutException e) {
            fillMissing(out, Outcome.TIMEOUT);
        } finally {
            drain(inFlight);
        }
        return out;
    }

    /**
     * Layer-wise load: reads the blocks (at most one staging buffer's worth) from the store into
     * pinned staging, then scatters them into the KV cache layer by layer, each layer followed by
     * a CUDA event, so that the model can run layer {@code i} while layer {@code i+1} copies.
     * Only blocks whose outcome is {@link Outcome#OK} are scattered. Closing the result waits
     * for the last layer and returns the staging buffer.
     */
    public LayerwiseResult loadLayerwise(List<BlockKey> keys, int[] blockIds, Duration timeout)
            throws InterruptedException, TimeoutException {
        check(keys, blockIds);
        if (blockIds.length > blocksPerBuffer) {
            throw new IllegalArgumentException(blockIds.length + " blocks exceed one staging buffer (" + blocksPerBuffer
                    + " blocks); split the load");
        }
        Batch b = submitLoad(keys, blockIds, 0, timeout);
        try {
            TaskResult r = b.task.await();
            Outcome[] out = r.outcomes().toArray(new Outcome[0]);
            List<Integer> good = new ArrayList<>();
            for (int i = 0; i < out.length; i++) {
                if (out[i] == Outcome.OK) {
                    good.add(i);
                }
            }
            long[] addrs = new long[good.size()];
            int[] ids = new int[good.size()];
            for (int k = 0; k < good.size(); k++) {
                addrs[k] = b.buffer.address() + good.get(k) * layout.blockBytes();
                ids[k] = blockIds[good.get(k)];
            }
            BlockCopier.LayerwiseLoad layers = copier.scatterLayerwise(addrs, ids,
                    config.useKernelCopyRead() ? BlockCopier.Method.KERNEL : BlockCopier.Method.DMA);
            return new LayerwiseResult(out, layers, b.buffer);
        } catch (RuntimeException | InterruptedException e) {
            b.buffer.close();
            throw e;
        }
    }

    /** A layer-wise load in progress: outcomes now, layers as their events complete. */
    public static final class LayerwiseResult implements AutoCloseable {
        private final Outcome[] outcomes;
        private final BlockCopier.LayerwiseLoad layers;
        private final PinnedStagingPool.PinnedBuffer buffer;

        LayerwiseResult(Outcome[] outcomes, BlockCopier.LayerwiseLoad layers, PinnedStagingPool.PinnedBuffer buffer) {
            this.outcomes = outcomes;
            this.layers = layers;
            this.buffer = buffer;
        }

        public Outcome[] outcomes() {
            return outcomes.clone();
        }

        /** Per-layer events: {@code awaitLayer(i)}, or {@code waitOn(computeStream, i)}. */
        public BlockCopier.LayerwiseLoad layers() {
            return layers;
        }

        @Override
        public void close() {
            try {
                layers.close();
            } finally {
                buffer.close();
            }
        }
    }

    private Batch submitLoad(List<BlockKey> keys, int[] blockIds, int from, Duration timeout) throws InterruptedException, TimeoutException {
        int to = Math.min(blockIds.length, from + blocksPerBuffer);
        Batch b = new Batch(from, to, pool.acquire(timeout));
        b.blockIds = Arrays.copyOfRange(blockIds, from, to);
        b.task = store.load(keys.subList(from, to), b.slices());
        return b;
    }

    /** Waits for a batch's store task, scatters its good blocks (loads) and frees its buffer. */
    private void finish(Batch b, Outcome[] out, boolean scatter) throws InterruptedException {
        try {
            // A store task always completes by its own deadline (timeout_ms), also when the IO
            // under it hangs, so this wait is bounded and the buffer is free once it returns.
            TaskResult r = b.task.await();
            List<Integer> good = new ArrayList<>();
            for (int i = 0; i < r.outcomes().size(); i++) {
                out[b.from + i] = r.outcome(i);
                if (r.outcome(i) == Outcome.OK) {
                    good.add(i);
                }
            }
            if (scatter && !good.isEmpty()) {
                long[] addrs = new long[good.size()];
                int[] ids = new int[good.size()];
                for (int k = 0; k < good.size(); k++) {
                    addrs[k] = b.buffer.address() + good.get(k) * layout.blockBytes();
                    ids[k] = b.blockIds[good.get(k)];
                }
                copier.scatter(addrs, ids,
                        config.useKernelCopyRead() ? BlockCopier.Method.KERNEL : BlockCopier.Method.DMA);
            }
        } finally {
            b.buffer.close();
        }
    }

    /** On an early exit, waits for the store to let go of every submitted buffer. */
    private void drain(Deque<Batch> inFlight) throws InterruptedException {
        for (Batch b : inFlight) {
            if (b.task != null) {
                b.task.await();
            }
            b.buffer.close();
        }
        inFlight.clear();
    }

    private static void fillMissing(Outcome[] out, Outcome o) {
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                out[i] = o;
            }
        }
    }

    private void check(List<BlockKey> keys, int[] blockIds) {
        if (keys.size() != blockIds.length) {
            throw new IllegalArgumentException(keys.size() + " keys but " + blockIds.length + " block ids");
        }
        for (int id : blockIds) {
            if (id < 0 || id >= layout.numBlocks()) {
                throw new IllegalArgumentException("block id " + id + " outside 0.." + (layout.numBlocks() - 1));
            }
        }
    }

    @Override
    public void close() {
        copier.close();
        pool.close();
    }

    private final class Batch {
        final int from;
        final int to;
        final PinnedStagingPool.PinnedBuffer buffer;
        int[] blockIds;
        Task task;

        Batch(int from, int to, PinnedStagingPool.PinnedBuffer buffer) {
            this.from = from;
            this.to = to;
            this.buffer = buffer;
        }

        long[] hostAddrs() {
            long[] a = new long[to - from];
            for (int i = 0; i < a.length; i++) {
                a[i] = buffer.address() + i * layout.blockBytes();
            }
            return a;
        }

        List<MemorySegment> slices() {
            List<MemorySegment> s = new ArrayList<>(to - from);
            for (int i = 0; i < to - from; i++) {
                s.add(buffer.segment().asSlice(i * layout.blockBytes(), layout.blockBytes()));
            }
            return s;
        }
    }
}
