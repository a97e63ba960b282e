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
import java.util.Locale;
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

    private static final Logger LOG = LoggerFactory.getLogger(DeviceFileReader.class);
    private static final int O_RDONLY_DIRECT = 0x4000; // O_RDONLY | O_DIRECT on x86-64
    private static final int ALIGN = 4096;

    private final GpuDevice device;
    private final PinnedStagingPool pool;
    private final CuFile cufile; // null: POSIX only
    private final DeviceBuffer bounce; // cuFile's destination before verification
    private final String mode;

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

    /** "cufile", or "posix (why)". */
    public String mode() {
        return mode;
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
                cuMemcpyDtoH(JCudaAccess.hostPtr(buf.address()), bounce.ptr(), loc.storedLength());
                SegmentReader.verify(loc, host.asSlice(0, loc.storedLength()));
                cuMemcpyDtoD(JCudaAccess.devicePtr(devAddr), bounce.ptr(), loc.storedLength());
                return;
            }
            readPosix(segmentFile, loc, host);
            SegmentReader.verify(loc, host.asSlice(0, loc.storedLength()));
            cuMemcpyHtoD(JCudaAccess.devicePtr(devAddr), JCudaAccess.hostPtr(buf.address()), loc.storedLength());
        }
    }

    /** True when cuFile read the payload into the bounce buffer; false to fall back for this file. */
    private boolean readCufile(Path file, BlockLocation loc, long padded) throws IOException {
        int fd = Libc.open(file, O_RDONLY_DIRECT);
        try {
            MemorySegment fh;
            try {
                fh = cufile.registerFile(fd);
            } catch (IOException e) {
                LOG.warn("cuFileHandleRegister failed for {}, reading it through POSIX: {}", file, e.getMessage());
                return false;
            }
            try {
                long n = cufile.read(fh, bounce.address(), padded, loc.payloadOffset(), 0);
                if (n < loc.storedLength()) {
                    throw new CorruptRecordException(loc.payloadOffset(), "segment " + loc.segmentId()
                            + " ends inside the payload (" + n + " of " + loc.storedLength() + " bytes)");
                }
                return true;
            } finally {
                cufile.deregisterFile(fh);
            }
        } finally {
            Libc.close(fd);
        }
    }

    private static void readPosix(Path file, BlockLocation loc, MemorySegment host) throws IOException {
        StoreFile f;
        try {
            f = new PosixFileIO(true, ALIGN).openRead(file);
        } catch (IOException e) {
            // O_DIRECT refused by this file system: buffered reads are as correct, only slower.
            f = new PosixFileIO(false, ALIGN).openRead(file);
        }
        try (StoreFile sf = f) {
            long n = sf.read(host, loc.payloadOffset());
            if (n < loc.storedLength()) {
                throw new CorruptRecordException(loc.payloadOffset(), "segment " + loc.segmentId()
                        + " ends inside the payload (" + n + " of " + loc.storedLength() + " bytes)");
            }
        }
    }

    @Override
    public void close() {
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
