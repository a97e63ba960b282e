package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Binding libc functions with {@code errno} captured, and calling them: the one place that
 * turns a failed downcall into {@link Errno#exception}, for {@link LinuxSyscalls},
 * {@link MappingSyscalls} and {@link IoUringSyscalls}.
 *
 * <p>errno is captured with {@link Linker.Option#captureCallState} because the JVM may
 * overwrite the thread's errno between the call and any later read of it. The capture buffer
 * and the call's C arguments live in a confined arena per call: a few hundred nanoseconds next
 * to a disk IO, and safe for virtual threads (no thread-local native memory).
 */
final class ErrnoCapture {

    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private ErrnoCapture() {
    }

    /** What a call does when it fails with EINTR. */
    enum OnEintr {
        /** Call again: the call did nothing (open, pread, pwrite, fsync, ...). */
        RETRY,
        /** Report the failure like any other errno. */
        FAIL,
        /** Return normally: on Linux the descriptor is released even when close(2) says EINTR. */
        SUCCEED
    }

    /**
     * One downcall. It gets the capture-state segment to pass first, and a confined arena for its
     * arguments (C strings, iovecs, a {@code struct stat}); it returns the C result widened to
     * long, negative on failure. On an EINTR retry it runs again in the same arena.
     */
    @FunctionalInterface
    interface Downcall {
        long call(Arena arena, MemorySegment state) throws Throwable;
    }

    /** The libc function {@code name}, its errno captured into the first argument. */
    static MethodHandle bind(Linker linker, String name, FunctionDescriptor fd, Linker.Option... options) {
        return bindIfPresent(linker, name, fd, options)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
    }

    /** As {@link #bind}, or empty where libc does not export {@code name}. */
    static Optional<MethodHandle> bindIfPresent(Linker linker, String name, FunctionDescriptor fd,
            Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE;
        System.arraycopy(options, 0, all, 1, options.length);
        return linker.defaultLookup().find(name).map(addr -> linker.downcallHandle(addr, fd, all));
    }

    /**
     * Runs {@code call} with errno captured, retrying EINTR as {@code onEintr} says, and turns a
     * failure into {@link Errno#exception} naming {@code name}, {@code path} and {@code detail}
     * (built only on failure). The caller checks first that its handles are bound.
     *
     * @return the call's non-negative result
     */
    static long invoke(String name, Path path, Supplier<String> detail, OnEintr onEintr, Downcall call)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            while (true) {
                long rc = call.call(arena, state);
                if (rc >= 0) {
                    return rc;
                }
                int e = (int) ERRNO.get(state, 0L);
                if (e == Errno.EINTR && onEintr == OnEintr.RETRY) {
                    continue;
                }
                if (e == Errno.EINTR && onEintr == OnEintr.SUCCEED) {
                    return 0;
                }
                throw Errno.exception(name, path, detail.get(), e);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // invokeExact declares Throwable; a downcall throws nothing else.
            throw new AssertionError(name + " downcall threw " + t, t);
        }
    }
}
