package io.spillway.gpu;

import jcuda.driver.CUdeviceptr;

/**
 * For callers that use JCuda directly next to this module (the device check's reference copies,
 * an engine's own streams): a JCuda pointer for a raw unified address.
 */
public final class GpuInterop {

    private GpuInterop() {
    }

    /** A JCuda pointer to {@code address}: device memory or pinned host memory (unified addressing). */
    public static CUdeviceptr devicePtr(long address) {
        return JCudaAccess.devicePtr(address);
    }
}
