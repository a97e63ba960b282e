package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.TIMEOUT;
import static io.spillway.gpu.check.CheckSupport.allOk;
import static io.spillway.gpu.check.CheckSupport.gbps;
import static io.spillway.gpu.check.CheckSupport.keys;
import static io.spillway.gpu.check.CheckSupport.poison;
import static io.spillway.gpu.check.CheckSupport.shuffled;
import static io.spillway.gpu.check.CheckSupport.summary;

import io.spillway.engine.SegmentStore;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.gpu.DeviceBuffer;
import io.spillway.gpu.GpuBlockStore;
import io.spillway.gpu.GpuConfig;
import io.spillway.gpu.GpuDevice;
import io.spillway.gpu.KvLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Round trips between the GPU and a store: the pipelined dump and load (DMA), a missing block
 * that leaves its KV memory alone, and the kernel-copy variant.
 */
final class StoreChecks {

    /**
     * The blocks the round trip dumped, for the checks that read them back.
     *
     * @param keys the store keys, {@code keys.get(i)} dumped from engine block {@code src[i]}
     * @param src the engine blocks dumped
     * @param dst the engine blocks loads write into (other ids, so that a load is visible)
     * @param loadGbps the first pipelined load's GB/s
     */
    record Dumped(List<BlockKey> keys, int[] src, int[] dst, double loadGbps) {
    }

    private StoreChecks() {
    }

    static Dumped run(CheckLog log, GpuDevice dev, KvLayout paged, GpuConfig cfg, DeviceBuffer counter, SegmentStore store, int n)
            throws Exception {
        List<BlockKey> keys = keys("gpu-check", n);
        int[] src = CheckSupport.range(0, n);
        int[] dst = shuffled(n, n, 9);
        long bytes = n * paged.blockBytes();
        double loadGbps;
        try (GpuBlockStore gs = new GpuBlockStore(store, dev, cfg, paged)) {
            long t0 = System.nanoTime();
            Outcome[] d = gs.dump(keys, src, TIMEOUT);
            double dumpGbps = gbps(bytes, System.nanoTime() - t0);
            log.check(allOk(d), "GPU -> store dump of " + n + " blocks: " + summary(d));
            poison(gs.copier(), dst, src);
            long before = gs.copier().countMismatches(src, dst, counter);
            t0 = System.nanoTime();
            Outcome[] l = gs.load(keys, dst, TIMEOUT);
            loadGbps = gbps(bytes, System.nanoTime() - t0);
            long after = gs.copier().countMismatches(src, dst, counter);
            log.check(allOk(l) && before > 0 && after == 0, "store -> GPU pipelined load (DMA) of " + n
                    + " blocks into other ids: " + summary(l) + ", differing bytes " + before + " -> " + after);
            log.row("GPU -> disk pipelined dump (DMA gather)", dumpGbps);
            // A missing key leaves its destination untouched.
            List<BlockKey> mixed = new ArrayList<>(keys.subList(0, 4));
            mixed.add(keys("absent", 1).get(0));
            int[] mixedDst = {dst[0], dst[1], dst[2], dst[3], dst[4]};
            poison(gs.copier(), new int[] {dst[4]}, new int[] {src[4]});
            long b4 = gs.copier().countMismatches(new int[] {src[4]}, new int[] {dst[4]}, counter);
            Outcome[] m = gs.load(mixed, mixedDst, TIMEOUT);
            long a4 = gs.copier().countMismatches(new int[] {src[4]}, new int[] {dst[4]}, counter);
            log.check(m[4] == Outcome.MISSING && m[0] == Outcome.OK && a4 == b4,
                    "a missing block ends MISSING and its KV memory is untouched: " + summary(m));
        }
        try (GpuBlockStore gs = new GpuBlockStore(store, dev, cfg.withKernelCopy(true, true), paged)) {
            List<BlockKey> kkeys = keys("gpu-check-kernel", 256);
            int[] ksrc = shuffled(0, 256, 11);
            int[] kdst = shuffled(n, 256, 12);
            Outcome[] d = gs.dump(kkeys, ksrc, TIMEOUT);
            poison(gs.copier(), kdst, ksrc);
            long before = gs.copier().countMismatches(ksrc, kdst, counter);
            long t0 = System.nanoTime();
            Outcome[] l = gs.load(kkeys, kdst, TIMEOUT);
            double kload = gbps(256 * paged.blockBytes(), System.nanoTime() - t0);
            long after = gs.copier().countMismatches(ksrc, kdst, counter);
            log.check(allOk(d) && allOk(l) && before > 0 && after == 0, "store round trip with kernel copy"
                    + " (use_kernel_copy_read/write): " + summary(d) + " / " + summary(l) + ", differing bytes " + before + " -> "
                    + after);
            log.row("disk -> GPU pipelined load (kernel scatter), 512 MiB", kload);
        }
        return new Dumped(keys, src, dst, loadGbps);
    }
}
