package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import io.spillway.engine.PinnedRecord;
import io.spillway.engine.SegmentStore;
import io.spillway.segments.BlockLocation;
import io.spillway.segments.CorruptRecordException;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentReader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a store's records from disk into device memory: through GPUDirect Storage (cuFile) where
 * it works, else through the store's own POSIX reads into pinned staging and a DMA to the device.
 *
 * <p>Every read is of a {@link PinnedRecord} ({@link SegmentStore#pin}): the segment holds the
 * same reference a store load takes, so the GC's eviction waits for the read as for a load, and a
 * record the GC already took is a miss at the pin, never a read of a file being deleted.
 *
 * <p>The choice: {@code use_cufile: false} forces POSIX. Otherwise the driver is opened once;
 * if that fails (no libcufile, no nvidia-fs and no compatibility mode) every read goes POSIX,
 * and if a file's handle registration fails that file goes POSIX. Each fallback is logged once
 * with its reason, and {@link #mode()} reports it. cuFile needs a descriptor of its own, opened
 * by the file's name ({@link CufileFiles}); a name that vanished under the pin (an eviction
 * renaming it) sends that read through POSIX too.
 *
 * <p>Every read is verified before the destination is touched (invariant 1): the POSIX path
 * checks the CRC32C in pinned memory before its H2D copy; the cuFile path reads into a device
 * bounce buffer, copies it to pinned memory for the CRC (GDS saves the disk-to-host leg, not the
 * check: a GPU CRC32C is future work), then copies device to device into the destination.
 *
 * <p>Not thread-safe: one reader per IO thread (each holds its own bounce buffer).
 */
public final class DeviceFileReader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceFileReader.class);
    /** cuFile reads whole 4 KiB blocks. */
    private static final int CUFILE_ALIGN = 4096;
    private static final Duration STAGING_WAIT = Duration.ofSeconds(30);

    private final GpuDevice device;
    private final PinnedStagingPool pool;
    private final CuFile cufile; // null: POSIX only
    private final CufileFiles cufileFiles; // null: POSIX only
    private final DeviceBuffer bounce; // cuFile's destination before verification
    private final String mode;
    private long cufileReads;
    private long posixReads;

    private DeviceFileReader(GpuDevice device, PinnedStagingPool pool, CuFile cufile, String mode) {
        this.device = device;
        this.pool = pool;
        this.cufile = cufile;
        this.mode = mode;
        if (cufile != null) {
            cufileFiles = new CufileFiles(cufile);
            bounce = device.allocate(pool.bufferBytes());
            cufile.registerBuffer(bounce.address(), bounce.size())
                    .ifPresent(r -> LOG.info("cuFileBufRegister refused the bounce buffer ({}); cuFile reads go unregistered", r));
        } else {
            cufileFiles = null;
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

    /** Payloads read by cuFileRead and verified. */
    public long cufileReads() {
        return cufileReads;
    }

    /** Payloads read by the POSIX path (forced, driver fallback, or per-file fallback) and verified. */
    public long posixReads() {
        return posixReads;
    }

    /** The last per-file fallback's reason (a failed open or cuFileHandleRegister), or null. */
    public String lastFallback() {
        return cufileFiles == null ? null : cufileFiles.lastFallback();
    }

    /**
     * Reads {@code record}'s payload into device memory at {@code devAddr}
     * ({@code location().storedLength()} bytes), verifying its CRC32C first. The caller keeps the
     * pin open until this returns.
     *
     * @throws CorruptRecordException when the checksum fails; the destination is untouched
     */
    public void readVerified(PinnedRecord record, long devAddr) throws IOException, InterruptedException, TimeoutException {
        BlockLocation loc = record.location();
        long padded = Math.max(record.readLength(), SegmentLayout.alignUp(loc.storedLength(), CUFILE_ALIGN));
        if (padded > pool.bufferBytes()) {
            throw new IllegalArgumentException("payload of " + loc.storedLength() + " bytes exceeds the staging buffer of "
                    + pool.bufferBytes());
        }
        device.bind();
        try (PinnedStagingPool.PinnedBuffer buf = pool.acquire(STAGING_WAIT)) {
            MemorySegment host = buf.segment().asSlice(0, padded);
            if (cufileFiles != null && readCufile(record, padded)) {
                cuMemcpyDtoH(JCudaAccess.hostPtr(buf.address()), bounce.ptr(), loc.storedLength());
                SegmentReader.verify(loc, host.asSlice(0, loc.storedLength()));
                cuMemcpyDtoD(JCudaAccess.devicePtr(devAddr), bounce.ptr(), loc.storedLength());
                cufileReads++;
                return;
            }
            record.readVerified(host);
            cuMemcpyHtoD(JCudaAccess.devicePtr(devAddr), JCudaAccess.hostPtr(buf.address()), loc.storedLength());
            posixReads++;
        }
    }

    /** True when cuFile read the payload into the bounce buffer; false to read this one through POSIX. */
    private boolean readCufile(PinnedRecord record, long padded) throws IOException {
        MemorySegment handle = cufileFiles.handle(record);
        if (handle == null) {
            return false;
        }
        BlockLocation loc = record.location();
        long n = cufile.read(handle, bounce.address(), padded, loc.payloadOffset(), 0);
        if (n < loc.storedLength()) {
            throw new CorruptRecordException(loc.payloadOffset(), "segment " + loc.segmentId()
                    + " ends inside the payload (" + n + " of " + loc.storedLength() + " bytes)");
        }
        return true;
    }

    /** Closes the descriptors cuFile reads keep open, so that the space of evicted segments is freed now. */
    public void closeFiles() throws IOException {
        if (cufileFiles != null) {
            cufileFiles.closeAll();
        }
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
}
