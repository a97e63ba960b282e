package io.spillway.engine.config;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/**
 * The host's RAM, which bounds {@code buffer_size} (the DRAM tier): a quarter of it by default,
 * at most 90%. The JVM reads it from the container's memory limit where there is one, so a
 * cache never outgrows the cgroup that would kill it.
 */
public final class HostMemory {

    /** The most of the host's RAM a DRAM tier may take: the rest is the OS's, the engine's and the daemon's. */
    public static final double MAX_CACHE_FRACTION = 0.9;

    /** The default's share: a quarter leaves room for the inference engine's own pinned pools beside it. */
    private static final int DEFAULT_CACHE_DIVISOR = 4;

    private HostMemory() {
    }

    /** The host's (or the container's) physical memory in bytes; 0 when the JVM cannot tell. */
    public static long totalBytes() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** {@code buffer_size} by default: a quarter of RAM in whole MiB, or 1 GiB where RAM is unknown. */
    static ByteSize defaultCacheBytes() {
        long ram = totalBytes();
        return ram <= 0 ? ByteSize.ofGiB(1) : ByteSize.ofMiB(Math.max(1, ram / DEFAULT_CACHE_DIVISOR >> 20));
    }

    /** The largest {@code buffer_size} this host can hold; unbounded where RAM is unknown. */
    public static long maxCacheBytes() {
        long ram = totalBytes();
        return ram <= 0 ? Long.MAX_VALUE : (long) (ram * MAX_CACHE_FRACTION);
    }
}
