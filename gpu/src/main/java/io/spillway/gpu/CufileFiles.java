package io.spillway.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.spillway.engine.PinnedRecord;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment files cuFile reads from: a descriptor of its own per segment (cuFile registers a
 * file descriptor, and the store's descriptors are not shared outside it), with its
 * {@code CUfileHandle_t}, kept open across reads because registration costs far more than a read.
 *
 * <p>Why descriptors are opened by name, under a pin: the pin keeps the file from being deleted,
 * not from being renamed; a name that vanished (an eviction that began before the pin renamed
 * {@code .seg} to {@code .deleting}) is a miss here, and the caller reads through the pin instead.
 *
 * <p>A kept descriptor would keep an evicted segment's blocks allocated on disk, against the
 * store's capacity. So at most {@value #MAX_FILES} are kept (least recently used goes first), and
 * before every read those whose file was deleted since (the GC's last step) are closed: the link
 * {@code /proc/self/fd/N} then ends in {@code " (deleted)"}.
 */
final class CufileFiles {

    private static final Logger LOG = LoggerFactory.getLogger(CufileFiles.class);
    static final int MAX_FILES = 8;
    private static final int O_RDONLY_DIRECT = 0x4000; // O_RDONLY | O_DIRECT on x86-64, the only JCuda natives bundled

    private final CuFile cufile;
    /** By segment id, in access order. */
    private final LinkedHashMap<Long, Open> files = new LinkedHashMap<>(16, 0.75f, true);
    private String lastFallback;

    /** A file open for cuFile: its descriptor, and its handle (null when registration failed: read it through POSIX). */
    private record Open(int fd, MemorySegment handle) {
    }

    CufileFiles(CuFile cufile) {
        this.cufile = cufile;
    }

    /** The last per-file fallback's reason, or null. */
    String lastFallback() {
        return lastFallback;
    }

    /**
     * The registered cuFile handle of {@code record}'s segment, opening and registering it on
     * first use; null when this read must go through POSIX (the name vanished, or cuFile refused
     * the file).
     */
    MemorySegment handle(PinnedRecord record) throws IOException {
        closeDeleted();
        long id = record.location().segmentId();
        Open f = files.get(id);
        if (f == null) {
            f = open(record);
            if (f == null) {
                return null;
            }
            files.put(id, f);
            while (files.size() > MAX_FILES) {
                Iterator<Map.Entry<Long, Open>> eldest = files.entrySet().iterator();
                Open gone = eldest.next().getValue();
                eldest.remove();
                close(gone);
            }
        }
        return f.handle();
    }

    private Open open(PinnedRecord record) throws IOException {
        Path file = record.file();
        int fd;
        try {
            fd = Libc.open(file, O_RDONLY_DIRECT);
        } catch (IOException direct) {
            try {
                // tmpfs and some FUSE mounts refuse O_DIRECT; cuFile's compatibility mode takes
                // a buffered descriptor.
                fd = Libc.open(file, 0);
            } catch (IOException e) {
                LOG.debug("{} is gone under its pin (renamed by an eviction); reading it through POSIX: {}", file, e.getMessage());
                lastFallback = e.getMessage();
                return null;
            }
        }
        try {
            return new Open(fd, cufile.registerFile(fd));
        } catch (IOException e) {
            LOG.warn("cuFileHandleRegister failed for {}, reading it through POSIX: {}", file, e.getMessage());
            lastFallback = e.getMessage();
            return new Open(fd, null);
        }
    }

    /** Closes the kept descriptors whose file the GC has deleted. */
    private void closeDeleted() throws IOException {
        for (Iterator<Open> it = files.values().iterator(); it.hasNext(); ) {
            Open f = it.next();
            Path link = Path.of("/proc/self/fd/" + f.fd());
            if (Files.readSymbolicLink(link).toString().endsWith(" (deleted)")) {
                it.remove();
                close(f);
            }
        }
    }

    private void close(Open f) throws IOException {
        if (f.handle() != null) {
            cufile.deregisterFile(f.handle());
        }
        Libc.close(f.fd());
    }

    void closeAll() throws IOException {
        IOException first = null;
        for (Open f : files.values()) {
            try {
                close(f);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        files.clear();
        if (first != null) {
            throw first;
        }
    }

    /** open(2) and close(2) for cuFile's descriptors. */
    private static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
                .byteOffset(MemoryLayout.PathElement.groupElement("errno"));
        private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
        private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);

        private Libc() {
        }

        static int open(Path path, int flags) throws IOException {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
                int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path.toString()), flags);
                if (fd < 0) {
                    throw new IOException(String.format(Locale.ROOT, "open(%s, 0x%x) failed: errno %d", path, flags,
                            state.get(JAVA_INT, ERRNO_OFFSET)));
                }
                return fd;
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError("open downcall threw " + t, t);
            }
        }

        /** Never retried: the descriptor is released even when close reports an error. */
        static void close(int fd) throws IOException {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
                if ((int) CLOSE.invokeExact(state, fd) != 0) {
                    throw new IOException("close(" + fd + ") failed: errno " + state.get(JAVA_INT, ERRNO_OFFSET));
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError("close downcall threw " + t, t);
            }
        }
    }
}
