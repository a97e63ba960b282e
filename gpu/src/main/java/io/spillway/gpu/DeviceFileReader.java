package io.spillway.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentReader;
import io.spillway.segments.io.PosixFileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads segment payloads from disk into device memory: through GPUDirect Storage (cuFile) where
 * it works, else through POSIX O_DIRECT reads into pinned staging and a DMA to the device.
 *
 * <p>The choice: {@code use_cufile: false} forces POSIX. Otherwise the driver is opened once;
 * if that fails (no libcufile, no nvidia-fs and no compatibility mode) every read goes POSIX,
 * and if a file's handle registration fails that file goes POSIX. Each fallback is logged once
 * with its reason, and {@link #mode()} reports it.
 *
 * <p>Every read is verified before the destination is touched (invariant 1): the POSIX path
 * checks the CRC32C in pinned memory before its H2D copy; the cuFile path reads into a device
 * bounce buffer, copies it to pinned memory for the CRC (GDS saves the disk-to-host leg, not the
 * check: a GPU CRC32C is future work), then copies device to device into the destination.
 */
public final class DeviceFileReader implements AutoCloseable {
    // Not thread-safe: one reader per IO thread (each holds its own bounce buffer).

    private static final Logger LOG = LoggerFactory.getLogger(DeviceFileReader.class);
    private static final int O_RDONLY_DIRECT = 0x4000; // O_RDONLY | O_DIRECT on x86-64
    private static final int ALIGN = 4096;

    private final GpuDevice device;
    private final PinnedStagingPool pool;
    private final CuFile cufile; // null: POSIX only
    private final DeviceBuffer bounce; // cuFile's destination before verification
    private final String mode;
    private final Map<Path, CufileOpen> cufileFiles = new HashMap<>();
    private final Map<Path, StoreFile> posixFiles = new HashMap<>();
    private long cufileReads;
    private long posixReads;
    private String lastFallback;

    private DeviceFileReader(GpuDevice device, PinnedStagingPool pool, CuFile cufile, String mode) {
        this.device = device;
        this.pool = pool;
        this.cufile = cufile;
        this.mode = mode;
        if (cufile != null) {
            bounce = device.allocate(pool.bufferBytes());
            cufile.registerBuffer(bounce.address(), bounce.size())
                    .ifPresent(r -> LOG.info("cuFileBufRegister refused the bounce buffer ({}); cuFile reads go unregistered", r));
        } else {
            bounce = null;
        }
    }

    /** Opens a reader on {@code device}, staging through {@code pool}, choosing GDS per {@code config}. */
    public static DeviceFileReader open(GpuDevice device, GpuConfig config, PinnedStagingPool pool) {
        device.bind();
        if (!config.useCufile()) {
            LOG.info("GDS off (use_cufile: false): POSIX reads through pinned staging");
            return new DeviceFileReader(device, pool, null, "posix (use_cufile: false)");
        }
        try {
            CuFile cf = CuFile.open();
            LOG.info("GDS: cuFile driver open");
            return new DeviceFileReader(device, pool, cf, "cufile");
        } catch (IOException | RuntimeException e) {
            LOG.warn("GDS unavailable, falling back to POSIX reads through pinned staging: {}", e.getMessage());
            return new DeviceFileReader(device, pool, null, "posix (fallback: " + e.getMessage() + ")");
        }
    }

    /** "cufile" (driver open; files may still fall back, see {@link #posixReads()}), or "posix (why)". */
    public String mode() {
        return mode;
    }

    /** Payloads read by cuFileRead. */
    public long cufileReads() {
        return cufileReads;
    }

    /** Payloads read by the POSIX path (forced, driver fallback, or per-file fallback). */
    public long posixReads() {
        return posixReads;
    }

    /** The last per-file fallback's reason (a failed cuFileHandleRegister), or null. */
    public String lastFallback() {
        return lastFallback;
    }

    /**
     * Reads the payload at {@code loc} of the segment file {@code segmentFile} into device memory
     * at {@code devAddr} ({@code loc.storedLength()} bytes), verifying its CRC32C first.
     *
     * @throws CorruptRecordException when the checksum fails; the destination is untouched
     */
    public void readVerified(Path segmentFile, BlockLocation loc, long devAddr) throws IOException,
            InterruptedException, TimeoutException {
        long padded = (loc.storedLength() + ALIGN - 1) / ALIGN * ALIGN;
        if (padded > pool.bufferBytes()) {
            throw new IllegalArgumentException("payload of " + loc.storedLength() + " bytes exceeds the staging buffer");
        }
        device.bind();
        try (PinnedStagingPool.PinnedBuffer buf = pool.acquire(Duration.ofSeconds(30))) {
            MemorySegment host = buf.segment().asSlice(0, padded);
            if (cufile != null && readCufile(segmentFile, loc, padded)) {
                cufileReads++;
                cuMemcpyDtoH(JCudaAccess.hostPtr(buf.address()), bounce.ptr(), loc.storedLength());
                SegmentReader.verify(loc, host.asSlice(0, loc.storedLength()));
                cuMemcpyDtoD(JCudaAccess.devicePtr(devAddr), bounce.ptr(), loc.storedLength());
                return;
            }
            readPosix(segmentFile, loc, host);
            posixReads++;
            SegmentReader.verify(loc, host.asSlice(0, loc.storedLength()));
            cuMemcpyHtoD(JCudaAccess.devicePtr(devAddr), JCudaAccess.hostPtr(buf.address()), loc.storedLength());
        }
    }

    /** True when cuFile read the payload into the bounce buffer; false to fall back for this file. */
    private boolean readCufile(Path file, BlockLocation loc, long padded) throws IOException {
        CufileOpen f = cufileFiles.get(file);
        if (f == null) {
            int fd;
            try {
                fd = Libc.open(file, O_RDONLY_DIRECT);
            } catch (IOException e) {
                // tmpfs and some FUSE mounts refuse O_DIRECT; cuFile's compatibility mode takes
                // a buffered descriptor.
                fd = Libc.open(file, 0);
            }
            MemorySegment fh;
            try {
                fh = cufile.registerFile(fd);
            } catch (IOException e) {
                LOG.warn("cuFileHandleRegister failed for {}, reading it through POSIX: {}", file, e.getMessage());
                lastFallback = e.getMessage();
                fh = null;
            }
            f = new CufileOpen(fd, fh);
            cufileFiles.put(file, f);
        }
        if (f.handle == null) {
            return false;
        }
        long n = cufile.read(f.handle, bounce.address(), padded, loc.payloadOffset(), 0);
        if (n < loc.storedLength()) {
            throw new CorruptRecordException(loc.payloadOffset(), "segment " + loc.segmentId()
                    + " ends inside the payload (" + n + " of " + loc.storedLength() + " bytes)");
        }
        return true;
    }

    private void readPosix(Path file, BlockLocation loc, MemorySegment host) throws IOException {
        StoreFile f = posixFiles.get(file);
        if (f == null) {
            try {
                f = new PosixFileIO(true, ALIGN).openRead(file);
            } catch (IOException e) {
                // O_DIRECT refused by this file system: buffered reads are as correct, only slower.
                f = new PosixFileIO(false, ALIGN).openRead(file);
            }
            posixFiles.put(file, f);
        }
        long n = f.read(host, loc.payloadOffset());
        if (n < loc.storedLength()) {
            throw new CorruptRecordException(loc.payloadOffset(), "segment " + loc.segmentId()
                    + " ends inside the payload (" + n + " of " + loc.storedLength() + " bytes)");
        }
    }

    /** A file open for cuFile: its descriptor, and its handle (null when registration failed). */
    private record CufileOpen(int fd, MemorySegment handle) {
    }

    /** Closes the files this reader keeps open (segments are immutable once sealed). */
    public void closeFiles() throws IOException {
        for (CufileOpen f : cufileFiles.values()) {
            if (f.handle != null) {
                cufile.deregisterFile(f.handle);
            }
            Libc.close(f.fd);
        }
        cufileFiles.clear();
        for (StoreFile f : posixFiles.values()) {
            f.close();
        }
        posixFiles.clear();
    }

    @Override
    public void close() throws IOException {
        closeFiles();
        if (cufile != null) {
            device.bind();
            cufile.deregisterBuffer(bounce.address());
            bounce.close();
            cufile.close();
        }
    }

    /** open(2) and close(2) for cuFile's file descriptors. */
    static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
        private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT));

        private Libc() {
        }

        static int open(Path path, int flags) throws IOException {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
                int fd = (int) OPEN.invokeExact(state, a.allocateFrom(path.toString()), flags);
                if (fd < 0) {
                    int errno = state.get(JAVA_INT, Linker.Option.captureStateLayout().byteOffset(
                            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")));
                    throw new IOException(String.format(Locale.ROOT, "open(%s) failed: errno %d", path, errno));
                }
                return fd;
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException("open(" + path + ") failed: " + t, t);
            }
        }

        static void close(int fd) throws IOException {
            try {
                if ((int) CLOSE.invokeExact(fd) != 0) {
                    throw new IOException("close(" + fd + ") failed");
                }
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException("close failed: " + t, t);
            }
        }
    }
}
