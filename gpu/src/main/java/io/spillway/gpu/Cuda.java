package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuInit;

import java.util.Optional;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

/**
 * Whether this machine can run the GPU data path.
 *
 * <p>A machine without an NVIDIA driver has no {@code libcuda.so.1}: JCuda's native library then
 * fails to load and JCuda throws {@link UnsatisfiedLinkError} (later uses of the class give
 * {@link NoClassDefFoundError}). Both are caught here, once, so that callers and tests ask
 * {@link #unavailableReason()} instead of crashing. Nothing else in the engine touches this
 * module, so a CPU-only process never loads JCuda at all.
 */
public final class Cuda {

    private static volatile Optional<String> probed;

    private Cuda() {
    }

    /** Empty when a CUDA device can be used; otherwise why not. */
    public static Optional<String> unavailableReason() {
        Optional<String> r = probed;
        if (r == null) {
            synchronized (Cuda.class) {
                r = probed;
                if (r == null) {
                    r = probe();
                    probed = r;
                }
            }
        }
        return r;
    }

    public static boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    private static Optional<String> probe() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = new int[1];
            cuDeviceGetCount(count);
            return count[0] > 0 ? Optional.empty() : Optional.of("the CUDA driver reports no devices");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // JCuda's message carries both nested stack traces; its first line says enough.
            String m = String.valueOf(e.getMessage());
            int nl = m.indexOf('\n');
            return Optional.of("CUDA driver library not loadable (libcuda.so.1 missing?): "
                    + (nl < 0 ? m : m.substring(0, nl)) + (m.contains("libcuda.so.1") ? " (libcuda.so.1: cannot open)" : ""));
        } catch (CudaException e) {
            return Optional.of("CUDA initialisation failed: " + e.getMessage());
        }
    }
}
