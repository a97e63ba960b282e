package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The probe must never crash the JVM or throw, GPU or not; it is what keeps CI green on CPUs. */
class CudaProbeTest {

    private static boolean libcudaLoadable() {
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup.libraryLookup("libcuda.so.1", a);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void withoutLibcudaTheProbeReportsWhyInsteadOfThrowing() {
        assumeFalse(libcudaLoadable(), "libcuda.so.1 is present: this machine is not a CPU-only one");
        Optional<String> reason = assertDoesNotThrow(Cuda::unavailableReason);
        assertTrue(reason.isPresent());
        assertTrue(reason.get().contains("libcuda.so.1"), reason.get());
        // Asked again, the cached answer stands (JCuda's class is now unusable, not retried).
        assertTrue(Cuda.unavailableReason().isPresent());
    }
}
