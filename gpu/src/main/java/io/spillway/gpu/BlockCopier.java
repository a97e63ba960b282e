package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import java.util.concurrent.Semaphore;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * Moves whole store blocks between a {@link KvLayout} on the GPU and pinned staging memory.
 *
 * <p>Two methods, chosen per direction by {@link GpuConfig}:
 * <ul>
 *   <li>{@link Method#DMA}: one {@code cuMemcpyAsync} per contiguous chunk (adjacent chunks
 *       merged), spread round-robin over the copy streams, so several copy engines and the
 *       per-call overhead overlap.</li>
 *   <li>{@link Method#KERNEL}: the gather/scatter kernel reads a descriptor array and copies
 *       every chunk in one launch, writing or reading the mapped pinned memory over PCIe. Many
 *       small chunks (vLLM's 32 KiB per layer and block) cost one launch instead of thousands of
 *       DMA calls.</li>
 * </ul>
 *
 * <p>Every operation is synchronous for its caller (it returns once the bytes are in place),
 * and one runs at a time per copier; pipelining across staging buffers is
 * {@link GpuBlockStore}'s job. Addresses are unified virtual addresses.
 */
public final class BlockCopier implements AutoCloseable {

    /** How chunks are copied. */
    public enum Method {
        DMA,
        KERNEL
    }

    /** Kernel pieces are cut at this size so a large chunk spreads over many CTAs. */
    static final long KERNEL_PIECE = 64 * 1024;

    private final GpuDevice device;
    private final KvLayout layout;
    private final CUstream[] streams;
    private final GpuKernels.Descriptors descriptors = new GpuKernels.Descriptors(4096);
    private final Pieces dmaPieces = new Pieces(Long.MAX_VALUE);
    private final Pieces kernelPieces = new Pieces(KERNEL_PIECE);
    private final Semaphore busy = new Semaphore(1);

    public BlockCopier(GpuDevice device, KvLayout layout, int copyStreams) {
        this.device = device;
        this.layout = layout;
        device.bind();
        this.streams = new CUstream[copyStreams];
        for (int i = 0; i < copyStreams; i++) {
            streams[i] = new CUstream();
            // Non-blocking: never serialised against the legacy default stream the engine's
            // other users (torch, the inference engine) may be using.
            cuStreamCreate(streams[i], CUstream_flags.CU_STREAM_NON_BLOCKING);
        }
    }

    public KvLayout layout() {
        return layout;
    }

    /** Packs engine blocks {@code blockIds[i]} into staging at {@code hostAddrs[i]} (a dump). */
    public void gather(int[] blockIds, long[] hostAddrs, Method method) {
        run(() -> {
            Pieces p = pieces(method);
            blockPieces(p, blockIds, hostAddrs, true, 0, layout.chunks().size());
            copy(p, method);
        });
    }

    /** Unpacks staging at {@code hostAddrs[i]} into engine blocks {@code blockIds[i]} (a load). */
    public void scatter(long[] hostAddrs, int[] blockIds, Method method) {
        run(() -> {
            Pieces p = pieces(method);
            blockPieces(p, blockIds, hostAddrs, false, 0, layout.chunks().size());
            copy(p, method);
        });
    }

    /**
     * Unpacks staging into the KV cache layer by layer on one stream, recording an event after
     * each layer, so that the model's layer {@code l} can start once {@link LayerwiseLoad#waitOn}
     * says its KV is in place while later layers are still copying. The copier stays busy until
     * the returned handle is closed.
     */
    public LayerwiseLoad scatterLayerwise(long[] hostAddrs, int[] blockIds, Method method) throws InterruptedException {
        busy.acquire();
        try {
            device.bind();
            CUstream s = streams[0];
            CUevent[] events = new CUevent[layout.layers()];
            Pieces all = pieces(method);
            int[] layerStart = new int[layout.layers() + 1];
            int chunk = 0;
            for (int l = 0; l < layout.layers(); l++) {
                int first = chunk;
                while (chunk < layout.chunks().size() && layout.chunks().get(chunk).layer() == l) {
                    chunk++;
                }
                layerStart[l] = all.size();
                blockPieces(all, blockIds, hostAddrs, false, first, chunk);
                // Never merge a piece across a layer boundary: the event must cover only its layer.
                layerStart[l + 1] = all.size();
            }
            if (method == Method.KERNEL) {
                descriptors.upload(all, s);
            }
            for (int l = 0; l < layout.layers(); l++) {
                if (method == Method.KERNEL) {
                    device.kernels().copy(descriptors, layerStart[l], layerStart[l + 1] - layerStart[l], s);
                } else {
                    for (int i = layerStart[l]; i < layerStart[l + 1]; i++) {
                        cuMemcpyAsync(JCudaAccess.devicePtr(all.dst(i)), JCudaAccess.devicePtr(all.src(i)), all.len(i), s);
                    }
                }
                events[l] = new CUevent();
                cuEventCreate(events[l], CUevent_flags.CU_EVENT_DISABLE_TIMING);
                cuEventRecord(events[l], s);
            }
            return new LayerwiseLoad(events, s);
        } catch (RuntimeException e) {
            busy.release();
            throw e;
        }
    }

    /**
     * Counts, on the GPU, the bytes where engine block {@code a[i]} differs from {@code b[i]}.
     * Used by tests and the device check; nothing is copied to the host but the count.
     */
    public long countMismatches(int[] a, int[] b, DeviceBuffer counter) {
        long[] result = new long[1];
        run(() -> {
            Pieces p = pieces(Method.KERNEL);
            for (int i = 0; i < a.length; i++) {
                for (int c = 0; c < layout.chunks().size(); c++) {
                    p.add(layout.address(c, a[i]), layout.address(c, b[i]), layout.chunks().get(c).bytes());
                }
            }
            CUstream s = streams[0];
            cuMemsetD8Async(counter.ptr(), (byte) 0, 8, s);
            descriptors.upload(p, s);
            device.kernels().countMismatches(descriptors, p.size(), counter.address(), s);
            cuStreamSynchronize(s);
            cuMemcpyDtoH(Pointer.to(result), counter.ptr(), 8);
        });
        return result[0];
    }

    /** Copies engine block {@code from[i]} over block {@code to[i]}, on the device (copy kernel). */
    public void deviceToDevice(int[] from, int[] to) {
        run(() -> {
            Pieces p = pieces(Method.KERNEL);
            for (int i = 0; i < from.length; i++) {
                for (int c = 0; c < layout.chunks().size(); c++) {
                    p.add(layout.address(c, from[i]), layout.address(c, to[i]), layout.chunks().get(c).bytes());
                }
            }
            copy(p, Method.KERNEL);
        });
    }

    /**
     * Scatters one store block held contiguously in device memory at {@code devAddr} (a GDS read's
     * destination) into engine block {@code block}, device to device.
     */
    public void fromContiguous(long devAddr, int block) {
        run(() -> {
            Pieces p = pieces(Method.KERNEL);
            blockPieces(p, new int[] {block}, new long[] {devAddr}, false, 0, layout.chunks().size());
            copy(p, Method.KERNEL);
        });
    }

    /** Fills engine blocks with pseudo-random bytes from {@code seed} (tests never use zeros). */
    public void fillRandom(DeviceBuffer buffer, long seed) {
        run(() -> {
            device.kernels().fillRandom(buffer.address(), buffer.size() & ~7L, seed, streams[0]);
            cuStreamSynchronize(streams[0]);
        });
    }

    private Pieces pieces(Method method) {
        Pieces p = method == Method.KERNEL ? kernelPieces : dmaPieces;
        p.clear();
        return p;
    }

    private void blockPieces(Pieces p, int[] blockIds, long[] hostAddrs, boolean toHost, int firstChunk, int endChunk) {
        if (blockIds.length != hostAddrs.length) {
            throw new IllegalArgumentException(blockIds.length + " block ids but " + hostAddrs.length + " staging addresses");
        }
        for (int i = 0; i < blockIds.length; i++) {
            for (int c = firstChunk; c < endChunk; c++) {
                long dev = layout.address(c, blockIds[i]);
                long host = hostAddrs[i] + layout.offsetInBlock(c);
                long n = layout.chunks().get(c).bytes();
                if (toHost) {
                    p.add(dev, host, n);
                } else {
                    p.add(host, dev, n);
                }
            }
        }
    }

    private void copy(Pieces p, Method method) {
        if (method == Method.KERNEL) {
            CUstream s = streams[0];
            descriptors.upload(p, s);
            device.kernels().copy(descriptors, 0, p.size(), s);
            cuStreamSynchronize(s);
            return;
        }
        for (int i = 0; i < p.size(); i++) {
            cuMemcpyAsync(JCudaAccess.devicePtr(p.dst(i)), JCudaAccess.devicePtr(p.src(i)), p.len(i),
                    streams[i % streams.length]);
        }
        for (CUstream s : streams) {
            cuStreamSynchronize(s);
        }
    }

    private void run(Runnable op) {
        try {
            busy.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the copier", e);
        }
        try {
            device.bind();
            op.run();
        } finally {
            busy.release();
        }
    }

    @Override
    public void close() {
        device.bind();
        for (CUstream s : streams) {
            cuStreamSynchronize(s);
            cuStreamDestroy(s);
        }
        descriptors.close();
    }

    /** The events of a layer-wise load; closing it waits for every layer and frees the copier. */
    public final class LayerwiseLoad implements AutoCloseable {
        private final CUevent[] events;
        private final CUstream stream;
        private boolean closed;

        LayerwiseLoad(CUevent[] events, CUstream stream) {
            this.events = events;
            this.stream = stream;
        }

        public int layers() {
            return events.length;
        }

        /** Blocks the calling thread until layer {@code l} is in place. */
        public void awaitLayer(int l) {
            device.bind();
            cuEventSynchronize(events[l]);
        }

        /** Makes {@code computeStream}'s later work wait for layer {@code l} (no host wait). */
        public void waitOn(CUstream computeStream, int l) {
            device.bind();
            cuStreamWaitEvent(computeStream, events[l], 0);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            device.bind();
            cuStreamSynchronize(stream);
            for (CUevent e : events) {
                cuEventDestroy(e);
            }
            busy.release();
        }
    }
}
