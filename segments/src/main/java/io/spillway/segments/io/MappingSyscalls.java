package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.spillway.segments.io.ErrnoCapture.OnEintr;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * {@code mmap}, {@code munmap} and {@code madvise} through the FFM API, for the io_uring rings
 * ({@link IoUring}) and for anonymous read buffers ({@link AnonymousMemory}). Flags are the
 * Linux values, the same on x86-64 and aarch64; {@link ErrnoCapture} captures errno.
 */
final class MappingSyscalls {

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final int MADV_HUGEPAGE = 14;

    private record Handles(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {
    }

    private static final NativeBinding<Handles> BINDING = NativeBinding.of(LinuxSyscalls.unavailableReason().orElse(null),
            "mmap/munmap/madvise", () -> {
                Linker linker = Linker.nativeLinker();
                return new Handles(
                        ErrnoCapture.bind(linker, "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT,
                                JAVA_INT, JAVA_LONG)),
                        ErrnoCapture.bind(linker, "munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG)),
                        ErrnoCapture.bind(linker, "madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)));
            });

    private MappingSyscalls() {
    }

    static Optional<String> unavailableReason() {
        return BINDING.unavailableReason();
    }

    private static Handles h() {
        return BINDING.get("mmap");
    }

    /** {@code mmap(NULL, length, PROT_READ|PROT_WRITE, flags, fd, offset)}, sized to {@code length}. */
    static MemorySegment mmap(long length, int flags, int fd, long offset, String what) throws IOException {
        Handles h = h();
        // MAP_FAILED is (void *) -1; a user-space mapping's address is always positive.
        long addr = ErrnoCapture.invoke("mmap", null, () -> what + ", " + length + " bytes", OnEintr.FAIL,
                (arena, state) -> ((MemorySegment) h.mmap.invokeExact(state, MemorySegment.NULL, length,
                        PROT_READ | PROT_WRITE, flags, fd, offset)).address());
        return MemorySegment.ofAddress(addr).reinterpret(length);
    }

    /** {@code munmap(addr, length)} of the whole of {@code mapping}. */
    static void munmap(MemorySegment mapping) throws IOException {
        Handles h = h();
        ErrnoCapture.invoke("munmap", null, () -> null, OnEintr.FAIL,
                (arena, state) -> (int) h.munmap.invokeExact(state, mapping, mapping.byteSize()));
    }

    /** {@code madvise(addr, length, advice)}. */
    static void madvise(MemorySegment range, int advice) throws IOException {
        Handles h = h();
        ErrnoCapture.invoke("madvise", null, () -> "advice " + advice, OnEintr.FAIL,
                (arena, state) -> (int) h.madvise.invokeExact(state, range, range.byteSize(), advice));
    }
}
