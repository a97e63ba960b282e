package io.spillway.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * GPUDirect Storage: {@code libcufile.so.0} called through FFM (no JNI, no header at build time).
 *
 * <p>The declarations follow cufile.h:
 * <pre>
 * typedef struct { CUfileOpError err; CUresult cu_err; } CUfileError_t;          // 2 x int32
 * typedef struct { CUfileFileHandleType type;                                       // int32 (+4 pad)
 *                  union { int fd; void *handle; } handle;                          // 8 bytes
 *                  const CUfileFSOps_t *fs_ops; } CUfileDescr_t;                    // 24 bytes
 * CUfileError_t cuFileDriverOpen(void);
 * CUfileError_t cuFileHandleRegister(CUfileHandle_t *fh, CUfileDescr_t *descr);
 * void          cuFileHandleDeregister(CUfileHandle_t fh);
 * CUfileError_t cuFileBufRegister(const void *devPtr_base, size_t length, int flags);
 * CUfileError_t cuFileBufDeregister(const void *devPtr_base);
 * ssize_t       cuFileRead(CUfileHandle_t fh, void *devPtr_base, size_t size, off_t file_offset, off_t devPtr_offset);
 * </pre>
 * Dumps do not use cuFileWrite: a segment append writes a whole group (headers and payloads)
 * with one pwritev from pinned staging, which the GPU fills by DMA anyway.
 * A negative {@code cuFileRead} result is -errno (-1 with errno set) or
 * -CUfileOpError. Without {@code /dev/nvidia-fs} the library either runs in compatibility mode
 * (POSIX IO inside libcufile) or fails to open; {@link DeviceFileReader} falls back to its own
 * POSIX path in the second case.
 */
final class CuFile implements AutoCloseable {

    static final int CU_FILE_HANDLE_TYPE_OPAQUE_FD = 1;
    private static final StructLayout ERROR = MemoryLayout.structLayout(JAVA_INT.withName("err"), JAVA_INT.withName("cu_err"));
    private static final StructLayout DESCR = MemoryLayout.structLayout(JAVA_INT.withName("type"),
            MemoryLayout.paddingLayout(4), JAVA_LONG.withName("handle"), ADDRESS.withName("fs_ops"));

    private final Arena arena = Arena.ofShared();
    private final MethodHandle handleRegister;
    private final MethodHandle handleDeregister;
    private final MethodHandle bufRegister;
    private final MethodHandle bufDeregister;
    private final MethodHandle read;
    private final MethodHandle driverClose;

    private CuFile(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        handleRegister = linker.downcallHandle(find(lib, "cuFileHandleRegister"), FunctionDescriptor.of(ERROR, ADDRESS, ADDRESS));
        handleDeregister = linker.downcallHandle(find(lib, "cuFileHandleDeregister"), FunctionDescriptor.ofVoid(ADDRESS));
        bufRegister = linker.downcallHandle(find(lib, "cuFileBufRegister"), FunctionDescriptor.of(ERROR, JAVA_LONG, JAVA_LONG, JAVA_INT));
        bufDeregister = linker.downcallHandle(find(lib, "cuFileBufDeregister"), FunctionDescriptor.of(ERROR, JAVA_LONG));
        read = linker.downcallHandle(find(lib, "cuFileRead"),
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        // cufile.h maps cuFileDriverClose to cuFileDriverClose_v2 since CUDA 12.
        MemorySegment close = lib.find("cuFileDriverClose_v2").or(() -> lib.find("cuFileDriverClose")).orElseThrow();
        driverClose = linker.downcallHandle(close, FunctionDescriptor.of(ERROR));
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("libcufile.so.0 lacks " + name));
    }

    /**
     * Loads libcufile and opens the driver.
     *
     * @throws IOException naming why GDS cannot be used here (library missing, driver open failed)
     */
    static CuFile open() throws IOException {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libcufile.so.0", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IOException("libcufile.so.0 not found: " + e.getMessage());
        }
        MethodHandle driverOpen = Linker.nativeLinker().downcallHandle(find(lib, "cuFileDriverOpen"), FunctionDescriptor.of(ERROR));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = (MemorySegment) driverOpen.invokeExact((SegmentAllocator) a);
            check(err, "cuFileDriverOpen");
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("cuFileDriverOpen failed: " + t, t);
        }
        return new CuFile(lib);
    }

    private static void check(MemorySegment err, String what) throws IOException {
        int op = err.get(JAVA_INT, 0);
        int cu = err.get(JAVA_INT, 4);
        if (op != 0) {
            throw new IOException(what + " failed: CUfileOpError " + op + (cu != 0 ? ", CUresult " + cu : ""));
        }
    }

    /** Registers an open file descriptor; returns the CUfileHandle_t. */
    MemorySegment registerFile(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment descr = a.allocate(DESCR);
            descr.set(JAVA_INT, 0, CU_FILE_HANDLE_TYPE_OPAQUE_FD);
            descr.set(JAVA_LONG, 8, fd & 0xffffffffL);
            descr.set(ADDRESS, 16, MemorySegment.NULL);
            MemorySegment fh = a.allocate(ADDRESS);
            MemorySegment err = (MemorySegment) handleRegister.invokeExact((SegmentAllocator) a, fh, descr);
            check(err, "cuFileHandleRegister");
            return fh.get(ADDRESS, 0);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("cuFileHandleRegister failed: " + t, t);
        }
    }

    void deregisterFile(MemorySegment handle) {
        try {
            handleDeregister.invokeExact(handle);
        } catch (Throwable t) {
            throw new IllegalStateException("cuFileHandleDeregister failed", t);
        }
    }

    /** Registers device memory for direct DMA; optional for correctness, required for speed. */
    Optional<String> registerBuffer(long devPtr, long length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = (MemorySegment) bufRegister.invokeExact((SegmentAllocator) a, devPtr, length, 0);
            check(err, "cuFileBufRegister");
            return Optional.empty();
        } catch (Throwable t) {
            return Optional.of(t.getMessage());
        }
    }

    void deregisterBuffer(long devPtr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ignoredOnPurpose = (MemorySegment) bufDeregister.invokeExact((SegmentAllocator) a, devPtr);
            // A failed deregistration leaves nothing to undo: the memory is freed next anyway.
        } catch (Throwable t) {
            throw new IllegalStateException("cuFileBufDeregister failed", t);
        }
    }

    /** Reads {@code size} bytes at {@code fileOffset} to {@code devBase + devOffset}; bytes read. */
    long read(MemorySegment fh, long devBase, long size, long fileOffset, long devOffset) throws IOException {
        long n;
        try {
            n = (long) read.invokeExact(fh, devBase, size, fileOffset, devOffset);
        } catch (Throwable t) {
            throw new IOException("cuFileRead failed: " + t, t);
        }
        if (n < 0) {
            throw new IOException("cuFileRead returned " + n + " (negative errno or CUfileOpError) at offset " + fileOffset);
        }
        return n;
    }

    @Override
    public void close() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ignoredOnPurpose = (MemorySegment) driverClose.invokeExact((SegmentAllocator) a);
            // Closing at shutdown: an error here has no one left to act on it.
        } catch (Throwable t) {
            throw new IllegalStateException("cuFileDriverClose failed", t);
        } finally {
            arena.close();
        }
    }
}
