package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.spillway.segments.io.ErrnoCapture.OnEintr;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The three io_uring system calls, bound through the FFM API (no liburing, no new dependency),
 * and the mapping of its rings ({@link MappingSyscalls}).
 *
 * <p>glibc has no wrappers for {@code io_uring_setup}, {@code io_uring_enter} and
 * {@code io_uring_register}, so they go through the variadic {@code syscall(2)}: every argument
 * is passed as a {@code long}, which is what glibc's {@code syscall} reads with
 * {@code va_arg(ap, long)}; the kernel truncates to each parameter's own type. The numbers 425 to
 * 427 are the same in the x86-64 and the generic (aarch64) syscall tables. As for
 * {@link LinuxSyscalls}, {@link NativeBinding} binds it once and {@link ErrnoCapture} captures
 * errno.
 */
final class IoUringSyscalls {

    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    /** The bound function; a record so the JIT trusts its field as a constant. */
    private record Handles(MethodHandle syscall) {
    }

    private static final NativeBinding<Handles> BINDING = NativeBinding.of(MappingSyscalls.unavailableReason().orElse(null),
            "syscall", () -> new Handles(ErrnoCapture.bind(Linker.nativeLinker(), "syscall", FunctionDescriptor.of(JAVA_LONG,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1))));

    private IoUringSyscalls() {
    }

    /** Empty if the calls are bound, otherwise why not. */
    static Optional<String> unavailableReason() {
        return BINDING.unavailableReason();
    }

    /**
     * {@code io_uring_setup(entries, params)}; returns the ring's descriptor.
     *
     * @throws NativeIOException with the kernel's errno (EPERM under a seccomp filter or
     *     {@code kernel.io_uring_disabled}, ENOSYS on kernels without io_uring)
     */
    static int setup(int entries, MemorySegment params) throws IOException {
        long rc = call("io_uring_setup", SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
        return (int) rc;
    }

    /**
     * {@code io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0)}; returns the number of
     * submission entries consumed. EINTR is not retried here: {@link IoUring} retries it, as it
     * retries EAGAIN and EBUSY for a submission.
     */
    static int enter(int ringFd, int toSubmit, int minComplete, int flags) throws IOException {
        return (int) call("io_uring_enter", SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0, 0);
    }

    /** {@code io_uring_register(fd, opcode, arg, nrArgs)}. */
    static int register(int ringFd, int opcode, MemorySegment arg, int nrArgs) throws IOException {
        return (int) call("io_uring_register", SYS_IO_URING_REGISTER, ringFd, opcode, arg.address(), nrArgs, 0, 0);
    }

    /** One {@code syscall(number, a, ..., f)}; EINTR is the caller's to handle, like any errno. */
    private static long call(String name, long number, long a, long b, long c, long d, long e, long f) throws IOException {
        Handles h = BINDING.get("io_uring");
        return ErrnoCapture.invoke(name, null, () -> null, OnEintr.FAIL,
                (arena, state) -> (long) h.syscall.invokeExact(state, number, a, b, c, d, e, f));
    }

    /** Maps one of the ring's regions ({@code MAP_SHARED|MAP_POPULATE} at its magic offset). */
    static MemorySegment mmap(int fd, long length, long offset) throws IOException {
        return MappingSyscalls.mmap(length, MappingSyscalls.MAP_SHARED | MappingSyscalls.MAP_POPULATE, fd, offset,
                "io_uring ring at offset 0x" + Long.toHexString(offset));
    }

    static void munmap(MemorySegment mapping) throws IOException {
        MappingSyscalls.munmap(mapping);
    }
}
