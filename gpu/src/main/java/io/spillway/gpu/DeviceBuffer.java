package io.spillway.gpu;

import jcuda.driver.CUdeviceptr;

/** Device memory: an address and a size, freed by {@link #close()} (once). */
public final class DeviceBuffer implements AutoCloseable {

    private final GpuDevice device;
    private final long address;
    private final long size;
    private Runnable free;

    DeviceBuffer(GpuDevice device, long address, long size, Runnable free) {
        this.device = device;
        this.address = address;
        this.size = size;
        this.free = free;
    }

    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    public GpuDevice device() {
        return device;
    }

    CUdeviceptr ptr() {
        return JCudaAccess.devicePtr(address);
    }

    @Override
    public synchronized void close() {
        if (free != null) {
            Runnable f = free;
            free = null;
            f.run();
        }
    }
}
