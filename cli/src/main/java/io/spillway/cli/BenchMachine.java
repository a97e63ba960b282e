package io.spillway.cli;

import com.sun.management.OperatingSystemMXBean;
import io.spillway.cli.bench.BenchReport;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a bench report says about the machine it ran on. */
final class BenchMachine {

    private BenchMachine() {
    }

    /** The file system type of {@code p} ({@code ext4}, {@code tmpfs}, ...), or {@code unknown}. */
    static String fileSystem(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * @param loadAverage the 1-minute load average when the bench started, before its own load
     */
    static BenchReport.Machine describe(Path root, String fsType, double loadAverage) {
        String kernel;
        try {
            kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            kernel = System.getProperty("os.version");
        }
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                ? os.getTotalMemorySize() : -1;
        return new BenchReport.Machine(System.getProperty("os.name"), kernel, Runtime.getRuntime().availableProcessors(), memory,
                Runtime.version().toString(), root.toString(), fsType, loadAverage);
    }
}
