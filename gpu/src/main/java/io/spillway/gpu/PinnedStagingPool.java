package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pinned host staging buffers ({@code cuMemHostAlloc}, portable and mapped into the device's
 * address space), allocated once and bounded by {@code max_staging_memory}.
 *
 * <p>Each buffer is handed out as a {@link MemorySegment} over the pinned memory itself
 * ({@code MemorySegment.ofAddress(ptr).reinterpret(size)}): native and page aligned, so the
 * store's O_DIRECT pwritev and its load copy land in pinned memory with no extra copy, and the
 * GPU reaches the same bytes by DMA or, being mapped, from the copy kernel.
 *
 * <p>Pinning is costly (milliseconds per call) and pins physical pages, which is why the pool
 * allocates up front and never grows: {@link #acquire} waits instead.
 */
public final class PinnedStagingPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PinnedStagingPool.class);

    private final GpuDevice device;
    private final long bufferBytes;
    private final List<Pointer> allocations = new ArrayList<>();
    private final BlockingQueue<PinnedBuffer> free;
    private final int count;
    private volatile boolean closed;

    public PinnedStagingPool(GpuDevice device, long bufferBytes, long maxStagingMemory) {
        if (bufferBytes <= 0 || maxStagingMemory < bufferBytes) {
            throw new IllegalArgumentException("staging buffer " + bufferBytes + " bytes does not fit max_staging_memory "
                    + maxStagingMemory);
        }
        this.device = device;
        this.bufferBytes = bufferBytes;
        this.count = (int) Math.min(Integer.MAX_VALUE, maxStagingMemory / bufferBytes);
        this.free = new ArrayBlockingQueue<>(count);
        device.bind();
        try {
            for (int i = 0; i < count; i++) {
                Pointer p = new Pointer();
                cuMemHostAlloc(p, bufferBytes,
                        JCudaDriver.CU_MEMHOSTALLOC_PORTABLE | JCudaDriver.CU_MEMHOSTALLOC_DEVICEMAP);
                allocations.add(p);
                free.add(new PinnedBuffer(this, MemorySegment.ofAddress(JCudaAccess.address(p)).reinterpret(bufferBytes)));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("pinned staging pool: {} buffers of {} MiB on {}", count, bufferBytes >> 20, device);
    }

    /** Bytes per buffer. */
    public long bufferBytes() {
        return bufferBytes;
    }

    /** Number of buffers. */
    public int buffers() {
        return count;
    }

    /**
     * Takes a buffer, waiting up to {@code timeout} for one to be released.
     *
     * @throws TimeoutException if none came free in time
     */
    public PinnedBuffer acquire(Duration timeout) throws InterruptedException, TimeoutException {
        if (closed) {
            throw new IllegalStateException("the staging pool is closed");
        }
        PinnedBuffer b = free.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (b == null) {
            throw new TimeoutException("no pinned staging buffer came free within " + timeout + " (" + count
                    + " buffers of " + bufferBytes + " bytes)");
        }
        b.taken = true;
        return b;
    }

    void release(PinnedBuffer b) {
        if (!b.taken) {
            throw new IllegalStateException("staging buffer released twice");
        }
        b.taken = false;
        free.add(b);
    }

    /** Frees the pinned memory; buffers still held must no longer be used. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.bind();
        for (Pointer p : allocations) {
            cuMemFreeHost(p);
        }
        allocations.clear();
    }

    /** A pinned buffer on loan from the pool; {@link #close()} gives it back. */
    public static final class PinnedBuffer implements AutoCloseable {
        private final PinnedStagingPool pool;
        private final MemorySegment segment;
        private volatile boolean taken;

        PinnedBuffer(PinnedStagingPool pool, MemorySegment segment) {
            this.pool = pool;
            this.segment = segment;
        }

        /** The host address (also valid on the device: unified addressing). */
        public long address() {
            return segment.address();
        }

        /** The pinned memory as a native segment, for the store's dump and load. */
        public MemorySegment segment() {
            return segment;
        }

        public long size() {
            return segment.byteSize();
        }

        @Override
        public void close() {
            pool.release(this);
        }
    }
}
