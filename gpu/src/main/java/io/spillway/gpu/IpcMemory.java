package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuIpcCloseMemHandle;
import static jcuda.driver.JCudaDriver.cuIpcGetMemHandle;
import static jcuda.driver.JCudaDriver.cuIpcOpenMemHandle;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUipcMemHandle;
import jcuda.driver.CUipcMem_flags;

/**
 * Device memory of another process, imported through a CUDA IPC handle
 * ({@code cuIpcOpenMemHandle}): an inference process exports its KV tensors' allocation
 * ({@code cuIpcGetMemHandle}, torch's {@code _share_cuda_}) and a Spillway process dumps and
 * loads them directly, with a {@link KvLayout} built on {@link #address()}.
 *
 * <p>The handle names a whole allocation; the exporter also passes the tensor's offset in it.
 * CUDA refuses to import a handle in the process that exported it.
 */
public final class IpcMemory implements AutoCloseable {

    private final GpuDevice device;
    private final CUdeviceptr base;
    private final long size;
    private boolean closed;

    private IpcMemory(GpuDevice device, CUdeviceptr base, long size) {
        this.device = device;
        this.base = base;
        this.size = size;
    }

    /**
     * Opens a 64-byte IPC memory handle on {@code device}.
     *
     * @param size bytes of the exported allocation the caller will touch (not checked by CUDA)
     */
    public static IpcMemory open(GpuDevice device, byte[] handle, long size) {
        device.bind();
        CUdeviceptr p = new CUdeviceptr();
        cuIpcOpenMemHandle(p, JCudaAccess.ipcHandle(handle), CUipcMem_flags.CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
        return new IpcMemory(device, p, size);
    }

    /** The IPC handle of an allocation of this process, for another process to open. */
    public static byte[] export(DeviceBuffer buffer) {
        buffer.device().bind();
        CUipcMemHandle h = new CUipcMemHandle();
        cuIpcGetMemHandle(h, buffer.ptr());
        return JCudaAccess.ipcBytes(h);
    }

    /** The allocation's base address in this process. */
    public long address() {
        return JCudaAccess.address(base);
    }

    public long size() {
        return size;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            device.bind();
            cuIpcCloseMemHandle(base);
        }
    }
}
