package io.spillway.engine.cache;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * mlock(2) of the arena mapping through FFM, so the kernel never swaps the cache out (tmpfs pages
 * can go to swap like any other). Optional ({@code cache_mlock}): it needs {@code RLIMIT_MEMLOCK}
 * (ulimit -l) of at least the arena's size, or CAP_IPC_LOCK.
 */
final class MemoryLock {

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle MLOCK;

    static {
        Linker linker = Linker.nativeLinker();
        MLOCK = linker.downcallHandle(linker.defaultLookup().find("mlock").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                Linker.Option.captureCallState("errno"));
    }

    private MemoryLock() {
    }

    /**
     * Locks {@code mapping}'s pages in RAM (faulting them in).
     *
     * @throws IOException with the errno and what to change, if the kernel refuses
     */
    static void lock(MemorySegment mapping, String what) throws IOException {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment state = a.allocate(CALL_STATE);
            int rc = (int) MLOCK.invokeExact(state, mapping, mapping.byteSize());
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new IOException("mlock of " + what + " (" + mapping.byteSize() + " bytes) failed with errno " + errno
                        + (errno == 12 || errno == 1 ? " (raise 'ulimit -l' / RLIMIT_MEMLOCK to at least the arena size, or"
                                + " run with CAP_IPC_LOCK; or set cache_mlock: false)" : ""));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("mlock downcall failed: " + t, t);
        }
    }
}
