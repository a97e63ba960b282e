package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jcuda.Pointer;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The kernels of {@code src/main/cuda/spillway_kernels.cu}, loaded from the PTX committed beside
 * this class (regenerate it with {@code gpu/device-test.sh --ptx}).
 */
final class GpuKernels implements AutoCloseable {

    static final String PTX_RESOURCE = "spillway_kernels.ptx";
    private static final int COPY_THREADS = 256;

    private final CUmodule module = new CUmodule();
    private final CUfunction copy = new CUfunction();
    private final CUfunction mismatches = new CUfunction();
    private final CUfunction fill = new CUfunction();
    private final int multiprocessors;

    GpuKernels(GpuDevice device) {
        byte[] ptx = readPtx();
        cuModuleLoadData(module, ptx);
        cuModuleGetFunction(copy, module, "spw_copy_pieces");
        cuModuleGetFunction(mismatches, module, "spw_count_mismatches");
        cuModuleGetFunction(fill, module, "spw_fill_random");
        int[] sms = new int[1];
        JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                deviceOf(device));
        this.multiprocessors = sms[0];
    }

    private static CUdevice deviceOf(GpuDevice device) {
        CUdevice d = new CUdevice();
        cuDeviceGet(d, device.ordinal());
        return d;
    }

    private static byte[] readPtx() {
        try (InputStream in = GpuKernels.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + PTX_RESOURCE + " is missing from the gpu jar");
            }
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1]; // cuModuleLoadData wants a NUL-terminated image
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int multiprocessors() {
        return multiprocessors;
    }

    /** Launches the piece copy; {@code descriptors} already holds {@code count} pieces on the device. */
    void copy(Descriptors descriptors, int first, int count, CUstream stream) {
        if (count == 0) {
            return;
        }
        int grid = Math.min(count, multiprocessors * 16);
        Pointer params = Pointer.to(Pointer.to(descriptors.devicePtr().withByteOffset((long) first * Descriptors.PIECE_BYTES)),
                Pointer.to(new int[] {count}));
        cuLaunchKernel(copy, grid, 1, 1, COPY_THREADS, 1, 1, 0, stream, params, null);
    }

    void countMismatches(Descriptors descriptors, int count, long counterAddress, CUstream stream) {
        if (count == 0) {
            return;
        }
        int grid = Math.min(count, multiprocessors * 16);
        Pointer params = Pointer.to(Pointer.to(descriptors.devicePtr()), Pointer.to(new int[] {count}),
                Pointer.to(JCudaAccess.devicePtr(counterAddress)));
        cuLaunchKernel(mismatches, grid, 1, 1, COPY_THREADS, 1, 1, 0, stream, params, null);
    }

    /** Fills {@code bytes} (a multiple of 8) at {@code address} with splitmix64(seed, index). */
    void fillRandom(long address, long bytes, long seed, CUstream stream) {
        Pointer params = Pointer.to(Pointer.to(JCudaAccess.devicePtr(address)), Pointer.to(new long[] {bytes}),
                Pointer.to(new long[] {seed}));
        cuLaunchKernel(fill, multiprocessors * 8, 1, 1, 256, 1, 1, 0, stream, params, null);
    }

    @Override
    public void close() {
        cuModuleUnload(module);
    }

    /**
     * A descriptor array: pinned host memory written by the CPU and copied to the device in
     * stream order before the launch that reads it. Its owner must synchronize the stream before
     * writing it again.
     */
    static final class Descriptors implements AutoCloseable {
        private static final int PIECE_BYTES = 24;
        private Pointer host;
        private MemorySegment hostSeg;
        private CUdeviceptr dev;
        private int capacity;

        Descriptors(int capacity) {
            grow(capacity);
        }

        private void grow(int pieces) {
            free();
            capacity = Math.max(pieces, 256);
            host = new Pointer();
            cuMemHostAlloc(host, (long) capacity * PIECE_BYTES, 0);
            hostSeg = MemorySegment.ofAddress(JCudaAccess.address(host)).reinterpret((long) capacity * PIECE_BYTES);
            dev = new CUdeviceptr();
            cuMemAlloc(dev, (long) capacity * PIECE_BYTES);
        }

        /** Writes {@code pieces} and queues their upload on {@code stream}. */
        void upload(Pieces pieces, CUstream stream) {
            if (pieces.size() > capacity) {
                grow(Integer.highestOneBit(pieces.size()) * 2);
            }
            for (int i = 0; i < pieces.size(); i++) {
                long at = (long) i * PIECE_BYTES;
                hostSeg.set(ValueLayout.JAVA_LONG_UNALIGNED, at, pieces.src(i));
                hostSeg.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 8, pieces.dst(i));
                hostSeg.set(ValueLayout.JAVA_LONG_UNALIGNED, at + 16, pieces.len(i));
            }
            cuMemcpyHtoDAsync(dev, host, (long) pieces.size() * PIECE_BYTES, stream);
        }

        CUdeviceptr devicePtr() {
            return dev;
        }

        private void free() {
            if (host != null) {
                cuMemFreeHost(host);
                cuMemFree(dev);
                host = null;
            }
        }

        @Override
        public void close() {
            free();
        }
    }
}
