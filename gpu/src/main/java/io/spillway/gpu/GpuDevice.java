package io.spillway.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceGetPCIBusId;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CUDA device and its primary context.
 *
 * <p>The primary context is the one the CUDA runtime (and so PyTorch and vLLM) uses, so device
 * pointers from an inference engine in the same process are valid here. Every thread that calls
 * the driver must {@link #bind()} first; the classes of this module do so themselves.
 */
public final class GpuDevice implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuDevice.class);

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private final String pciBusId;
    private final int numaNode;
    private final GpuKernels kernels;
    private volatile boolean closed;

    private GpuDevice(int ordinal) {
        this.ordinal = ordinal;
        cuDeviceGet(device, ordinal);
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
        byte[] nameBytes = new byte[256];
        cuDeviceGetName(nameBytes, nameBytes.length, device);
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, StandardCharsets.US_ASCII);
        String[] bus = new String[1];
        cuDeviceGetPCIBusId(bus, 64, device);
        this.pciBusId = bus[0].trim();
        this.numaNode = numaNodeOf(pciBusId);
        logNumaChoice();
        this.kernels = new GpuKernels(this);
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @throws IllegalStateException when CUDA is unavailable here (see {@link Cuda})
     */
    public static GpuDevice open(int ordinal) {
        Cuda.unavailableReason().ifPresent(r -> {
            throw new IllegalStateException(r);
        });
        return new GpuDevice(ordinal);
    }

    /** Makes this device's primary context current on the calling thread. */
    public void bind() {
        if (closed) {
            throw new IllegalStateException("device " + ordinal + " is closed");
        }
        cuCtxSetCurrent(context);
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public String pciBusId() {
        return pciBusId;
    }

    /** The GPU's NUMA node, or -1 when the platform does not say. */
    public int numaNode() {
        return numaNode;
    }

    GpuKernels kernels() {
        return kernels;
    }

    /** Allocates device memory (plain cuMemAlloc, never managed memory). */
    public DeviceBuffer allocate(long bytes) {
        bind();
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, bytes);
        return new DeviceBuffer(this, JCudaAccess.address(p), bytes, () -> {
            bind();
            cuMemFree(p);
        });
    }

    /**
     * Where IO and staging threads run. With several NUMA nodes they belong on the GPU's node,
     * so that pinned staging memory sits next to its PCIe root; with one node there is nothing
     * to choose, and this only logs. Thread pinning itself is not implemented: no machine with
     * several nodes was at hand to test it on.
     */
    private void logNumaChoice() {
        int nodes = countNumaNodes();
        if (nodes <= 1) {
            LOG.info("GPU {} ({}, PCI {}): {} NUMA node, staging and IO threads left unpinned", ordinal, name, pciBusId,
                    nodes <= 0 ? "no" : "one");
        } else {
            LOG.warn("GPU {} ({}, PCI {}) is on NUMA node {} of {}; staging and IO threads are not pinned to it"
                    + " (not implemented): bind the process with numactl --cpunodebind={} --membind={}",
                    ordinal, name, pciBusId, numaNode, nodes, numaNode, numaNode);
        }
    }

    private static int numaNodeOf(String busId) {
        // The driver prints "0000:1B:00.0"; sysfs names it in lower case.
        Path p = Path.of("/sys/bus/pci/devices", busId.toLowerCase(Locale.ROOT), "numa_node");
        try {
            return Integer.parseInt(Files.readString(p).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static int countNumaNodes() {
        try (Stream<Path> s = Files.list(Path.of("/sys/devices/system/node"))) {
            return (int) s.filter(p -> p.getFileName().toString().matches("node\\d+")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        kernels.close();
        closed = true;
        cuDevicePrimaryCtxRelease(device);
    }

    @Override
    public String toString() {
        return "GPU " + ordinal + " (" + name + ", PCI " + pciBusId + ")";
    }
}
