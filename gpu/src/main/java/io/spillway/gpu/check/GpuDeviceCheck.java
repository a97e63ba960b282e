package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.MIB;

import io.spillway.engine.SegmentStore;
import io.spillway.gpu.BlockCopier;
import io.spillway.gpu.Cuda;
import io.spillway.gpu.DeviceBuffer;
import io.spillway.gpu.GpuConfig;
import io.spillway.gpu.GpuDevice;
import io.spillway.gpu.KvLayout;
import io.spillway.gpu.PinnedStagingPool;
import io.spillway.gpu.check.BandwidthCheck.PcieReference;
import io.spillway.gpu.check.StoreChecks.Dumped;
import io.spillway.segments.io.FileTrees;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The device check that {@code gpu/device-test.sh} runs on the GPU machine (through
 * {@code spillway gpu-check}): every correctness check of the GPU data path, then one bandwidth
 * table with its same-run references.
 *
 * <p>KV geometry is llama-3.1-8b's: 32 layers, 16 tokens per block, 8 KV heads, head dim 128,
 * bf16, in vLLM's paged layout: 64 chunks of 32 KiB per engine block, 2 MiB per store block.
 *
 * <p>The parts, in order:
 * <ol>
 *   <li>{@link CopierChecks}: gather and scatter, DMA and kernel, whole and layer-wise.
 *   <li>{@link BandwidthCheck}: the copier against plain pinned {@code cuMemcpy}.
 *   <li>{@link StoreChecks}: GPU to store and back, a missing block, kernel copies.
 *   <li>{@link SegmentReadChecks}: the store reopened: the load against the disk's speed, each
 *       payload straight to the GPU through a pinned record (cuFile and POSIX), a flipped byte.
 *   <li>{@link GdsOnShmCheck}: cuFileRead from a store on /dev/shm.
 *   <li>{@link IpcCheck}, when an exporter script is given: CUDA IPC with another process.
 * </ol>
 */
public final class GpuDeviceCheck {

    /** The fewest engine blocks the parts need (the bandwidth run scatters over 1,024 of the 2 x blocks). */
    public static final int MIN_BLOCKS = 512;

    private static final int LAYERS = 32;
    private static final int TOKENS = 16;
    private static final int HEADS = 8;
    private static final int HEAD_DIM = 128;
    private static final int DTYPE = 2;

    private GpuDeviceCheck() {
    }

    /**
     * Runs every check on GPU 0 and prints the results to {@code out}.
     *
     * @param storeDir a directory the check may delete and fill (its IPC store goes next to it)
     * @param blocks store blocks per round trip, at least {@link #MIN_BLOCKS}; the KV cache
     *     holds twice as many, 4 MiB of device memory each
     * @param ipcExporter the Python IPC exporter, or empty to skip the IPC check
     * @return 0 when every check passed, 1 otherwise (no usable GPU included)
     */
    public static int run(Path storeDir, int blocks, Optional<Path> ipcExporter, PrintWriter out) throws Exception {
        if (blocks < MIN_BLOCKS) {
            throw new IllegalArgumentException("the device check needs at least " + MIN_BLOCKS + " blocks, got " + blocks);
        }
        CheckLog log = new CheckLog(out);
        Optional<String> reason = Cuda.unavailableReason();
        if (reason.isPresent()) {
            out.println("FAIL: no usable GPU: " + reason.get());
            return 1;
        }
        try (GpuDevice dev = GpuDevice.open(0)) {
            out.println("device: " + dev + ", NUMA node " + dev.numaNode());
            int numBlocks = 2 * blocks;
            long chunk = (long) TOKENS * HEADS * HEAD_DIM * DTYPE;
            List<DeviceBuffer> layers = new ArrayList<>();
            try {
                long[] bases = new long[LAYERS];
                for (int l = 0; l < LAYERS; l++) {
                    DeviceBuffer b = dev.allocate(2L * numBlocks * chunk);
                    layers.add(b);
                    bases[l] = b.address();
                }
                KvLayout paged = KvLayout.vllmPaged(bases, numBlocks, TOKENS, HEADS, HEAD_DIM, DTYPE);
                out.printf("KV: vLLM paged, %d layers, %d blocks of %d KiB (%d chunks of %d KiB)%n", LAYERS, numBlocks,
                        paged.blockBytes() >> 10, paged.chunks().size(), chunk >> 10);
                checks(log, dev, paged, layers, storeDir, blocks, ipcExporter);
            } finally {
                layers.forEach(DeviceBuffer::close);
            }
        }
        return log.finish();
    }

    private static void checks(CheckLog log, GpuDevice dev, KvLayout paged, List<DeviceBuffer> layers, Path storeDir, int n,
            Optional<Path> ipcExporter) throws Exception {
        GpuConfig cfg = GpuConfig.defaults().withStaging(512 * MIB, 64 * MIB);
        long blockBytes = paged.blockBytes();
        try (DeviceBuffer counter = dev.allocate(8); DeviceBuffer contiguousMem = dev.allocate(256 * blockBytes)) {
            PcieReference pcie;
            try (BlockCopier pc = new BlockCopier(dev, paged, cfg.copyStreams());
                    BlockCopier cc = new BlockCopier(dev, KvLayout.contiguous(contiguousMem.address(), 256, blockBytes),
                            cfg.copyStreams());
                    PinnedStagingPool pool = new PinnedStagingPool(dev, 64 * MIB, 512 * MIB)) {
                for (int l = 0; l < LAYERS; l++) {
                    pc.fillRandom(layers.get(l), 1000 + l);
                }
                cc.fillRandom(contiguousMem, 77);
                CopierChecks.run(log, pc, pool, counter, n);
                pcie = BandwidthCheck.run(log, dev, pc, cc, pool);
            }
            FileTrees.deleteRecursively(storeDir);
            Dumped dumped;
            try (SegmentStore store = SegmentStore.open(CheckSupport.storeConfig(storeDir))) {
                dumped = StoreChecks.run(log, dev, paged, cfg, counter, store, n);
            }
            // Reopened: the first session sealed its segments on close.
            try (SegmentStore store = SegmentStore.open(CheckSupport.storeConfig(storeDir))) {
                SegmentReadChecks.run(log, dev, cfg, paged, counter, store, dumped, pcie);
            }
            GdsOnShmCheck.run(log, dev, cfg, paged, counter, dumped);
            if (ipcExporter.isPresent()) {
                IpcCheck.run(log, dev, cfg, storeDir.resolveSibling(storeDir.getFileName() + "-ipc"), ipcExporter.get());
            }
        }
    }
}
