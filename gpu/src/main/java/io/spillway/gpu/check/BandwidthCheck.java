package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.MIB;
import static io.spillway.gpu.check.CheckSupport.TIMEOUT;
import static io.spillway.gpu.check.CheckSupport.hostAddrs;
import static io.spillway.gpu.check.CheckSupport.shuffled;
import static io.spillway.gpu.check.CheckSupport.time;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.spillway.gpu.BlockCopier;
import io.spillway.gpu.BlockCopier.Method;
import io.spillway.gpu.DeviceBuffer;
import io.spillway.gpu.GpuDevice;
import io.spillway.gpu.GpuInterop;
import io.spillway.gpu.PinnedStagingPool;
import java.util.Arrays;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The copier's bandwidth, against plain pinned {@code cuMemcpy} of whole 64 MiB buffers on one
 * stream, measured in the same run.
 */
final class BandwidthCheck {

    /** The PCIe references, GB/s: the higher of the medians taken before and after the copier's runs. */
    record PcieReference(double h2d, double d2h) {
    }

    private BandwidthCheck() {
    }

    static PcieReference run(CheckLog log, GpuDevice dev, BlockCopier paged, BlockCopier contiguous, PinnedStagingPool pool)
            throws Exception {
        long bb = paged.layout().blockBytes();
        int count = 128; // 256 MiB per run, over 4 staging buffers
        PinnedStagingPool.PinnedBuffer[] bufs = new PinnedStagingPool.PinnedBuffer[4];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = pool.acquire(TIMEOUT);
        }
        CUstream s = new CUstream();
        cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
        long bytes = count * bb;
        try (DeviceBuffer devRef = dev.allocate(bytes)) {
            long[] host = hostAddrs(bufs, count, bb);
            CheckSupport.Op h2d = () -> {
                for (int i = 0; i < bufs.length; i++) {
                    cuMemcpyHtoDAsync(GpuInterop.devicePtr(devRef.address() + i * 64 * MIB), GpuInterop.devicePtr(bufs[i].address()),
                            64 * MIB, s);
                }
                cuStreamSynchronize(s);
            };
            CheckSupport.Op d2h = () -> {
                for (int i = 0; i < bufs.length; i++) {
                    cuMemcpyDtoHAsync(GpuInterop.devicePtr(bufs[i].address()), GpuInterop.devicePtr(devRef.address() + i * 64 * MIB),
                            64 * MIB, s);
                }
                cuStreamSynchronize(s);
            };
            // The reference is taken before and after the copier's measurements and the higher
            // median kept: PCIe throughput on the device machine moved by a third between runs,
            // and a low reference would flatter the ratios.
            double h2dBefore = time(bytes, 15, h2d);
            double d2hBefore = time(bytes, 15, d2h);
            int[] cids = shuffled(0, count, 5);
            int[] pids = Arrays.copyOf(shuffled(0, count * 8, 6), count); // scattered over a larger range
            double poolH2D = time(bytes, 15, () -> contiguous.scatter(host, cids, Method.DMA));
            double poolD2H = time(bytes, 15, () -> contiguous.gather(cids, host, Method.DMA));
            double pagedH2D = time(bytes, 15, () -> paged.scatter(host, pids, Method.DMA));
            double pagedD2H = time(bytes, 15, () -> paged.gather(pids, host, Method.DMA));
            double kernelGather = time(bytes, 15, () -> paged.gather(pids, host, Method.KERNEL));
            double kernelScatter = time(bytes, 15, () -> paged.scatter(host, pids, Method.KERNEL));
            double h2dAfter = time(bytes, 15, h2d);
            double d2hAfter = time(bytes, 15, d2h);
            PcieReference ref = new PcieReference(Math.max(h2dBefore, h2dAfter), Math.max(d2hBefore, d2hAfter));
            String rh = String.format("pinned cuMemcpy H2D (before %.2f, after %.2f)", h2dBefore, h2dAfter);
            String rd = String.format("pinned cuMemcpy D2H (before %.2f, after %.2f)", d2hBefore, d2hAfter);
            log.row("pool DMA H2D, contiguous 2 MiB blocks", poolH2D, rh, ref.h2d(), 0.90);
            log.row("pool DMA D2H, contiguous 2 MiB blocks", poolD2H, rd, ref.d2h(), 0.90);
            log.row("pool DMA H2D, vLLM paged (32 KiB chunks)", pagedH2D, rh, ref.h2d(), 0);
            log.row("pool DMA D2H, vLLM paged (32 KiB chunks)", pagedD2H, rd, ref.d2h(), 0);
            log.row("kernel gather D2H, vLLM paged scattered blocks", kernelGather, rd, ref.d2h(), 0.80);
            log.row("kernel scatter H2D, vLLM paged scattered blocks", kernelScatter, rh, ref.h2d(), 0.80);
            return ref;
        } finally {
            cuStreamDestroy(s);
            for (var b : bufs) {
                b.close();
            }
        }
    }
}
