package io.spillway.segments.io;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

/**
 * {@code mmap}, {@code munmap} and {@code madvise} through the FFM API, for the io_uring rings
 * ({@link IoUring}) and for anonymous read buffers ({@link AnonymousMemory}). Flags are the
 * Linux values, the same on x86-64 and aarch64; errno is captured as in {@link LinuxSyscalls}.
 */
final class MappingSyscalls {

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final int MADV_HUGEPAGE = 14;

    private record Handles(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise, StructLayout captureLayout,
                           VarHandle errno) {
    }

    private static final Handles H;
    private static final String UNAVAILABLE;

    static {
        Handles handles = null;
        String why = LinuxSyscalls.unavailableReason().orElse(null);
        if (why == null) {
            try {
                Linker linker = Linker.nativeLinker();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                StructLayout layout = Linker.Option.captureStateLayout();
                handles = new Handles(
                        linker.downcallHandle(find(linker, "mmap"), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT,
                                JAVA_INT, JAVA_INT, JAVA_LONG), errno),
                        linker.downcallHandle(find(linker, "munmap"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), errno),
                        linker.downcallHandle(find(linker, "madvise"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                                errno),
                        layout, layout.varHandle(MemoryLayout.PathElement.groupElement("errno")));
            } catch (RuntimeException | LinkageError e) {
                why = "binding mmap/munmap/madvise through FFM failed: " + e;
            }
        }
        H = handles;
        UNAVAILABLE = why;
    }

    private MappingSyscalls() {
    }

    static Optional<String> unavailableReason() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    private static MemorySegment find(Linker linker, String name) {
        return linker.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
    }

    private static Handles h() {
        if (H == null) {
            throw new UnsupportedOperationException("mmap through FFM is unavailable: " + UNAVAILABLE);
        }
        return H;
    }

    /** {@code mmap(NULL, length, PROT_READ|PROT_WRITE, flags, fd, offset)}, sized to {@code length}. */
    static MemorySegment mmap(long length, int flags, int fd, long offset, String what) throws IOException {
        Handles h = h();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(h.captureLayout);
            MemorySegment addr = (MemorySegment) h.mmap.invokeExact(state, MemorySegment.NULL, length, PROT_READ | PROT_WRITE,
                    flags, fd, offset);
            if (addr.address() == -1L) { // MAP_FAILED
                throw Errno.exception("mmap", null, what + ", " + length + " bytes", (int) h.errno.get(state, 0L));
            }
            return addr.reinterpret(length);
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code munmap(addr, length)} of the whole of {@code mapping}. */
    static void munmap(MemorySegment mapping) throws IOException {
        Handles h = h();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(h.captureLayout);
            int rc = (int) h.munmap.invokeExact(state, mapping, mapping.byteSize());
            if (rc != 0) {
                throw Errno.exception("munmap", null, null, (int) h.errno.get(state, 0L));
            }
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code madvise(addr, length, advice)}. */
    static void madvise(MemorySegment range, int advice) throws IOException {
        Handles h = h();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(h.captureLayout);
            int rc = (int) h.madvise.invokeExact(state, range, range.byteSize(), advice);
            if (rc != 0) {
                throw Errno.exception("madvise", null, "advice " + advice, (int) h.errno.get(state, 0L));
            }
        } catch (IOException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
