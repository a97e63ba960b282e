package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.TIMEOUT;
import static io.spillway.gpu.check.CheckSupport.hostAddrs;
import static io.spillway.gpu.check.CheckSupport.poison;
import static io.spillway.gpu.check.CheckSupport.shuffled;

import io.spillway.gpu.BlockCopier;
import io.spillway.gpu.BlockCopier.Method;
import io.spillway.gpu.DeviceBuffer;
import io.spillway.gpu.PinnedStagingPool;

/**
 * The copier's correctness on the GPU: gather, then scatter into other block ids, with DMA and
 * with the kernel, whole and layer-wise; source and destination are compared on the GPU.
 */
final class CopierChecks {

    private CopierChecks() {
    }

    static void run(CheckLog log, BlockCopier pc, PinnedStagingPool pool, DeviceBuffer counter, int n) throws Exception {
        long bb = pc.layout().blockBytes();
        int count = 64;
        PinnedStagingPool.PinnedBuffer[] bufs = {pool.acquire(TIMEOUT), pool.acquire(TIMEOUT)};
        try {
            long[] host = hostAddrs(bufs, count, bb);
            int[] src = shuffled(0, count, 1);
            int[] dst = shuffled(n, count, 2);
            log.check(pc.countMismatches(new int[] {0}, new int[] {1}, counter) > bb / 2,
                    "compare kernel sees two different random blocks as different");
            for (Method gm : Method.values()) {
                for (Method sm : Method.values()) {
                    for (boolean layerwise : new boolean[] {false, true}) {
                        poison(pc, dst, src);
                        long before = pc.countMismatches(src, dst, counter);
                        pc.gather(src, host, gm);
                        if (layerwise) {
                            try (BlockCopier.LayerwiseLoad ll = pc.scatterLayerwise(host, dst, sm)) {
                                for (int l = 0; l < ll.layers(); l++) {
                                    ll.awaitLayer(l);
                                }
                            }
                        } else {
                            pc.scatter(host, dst, sm);
                        }
                        long after = pc.countMismatches(src, dst, counter);
                        log.check(before > 0 && after == 0, String.format("copy gather=%s scatter=%s%s: %d blocks into other"
                                + " ids, %d differing bytes before, %d after", gm, sm, layerwise ? " layer-wise" : "", count,
                                before, after));
                    }
                }
            }
        } finally {
            for (var b : bufs) {
                b.close();
            }
        }
    }
}
