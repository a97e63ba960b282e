package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectIoProbeTest {

    @TempDir
    Path dir;

    @Test
    void probeOfTempDirectoryNeverThrowsAndCleansUp() throws IOException {
        DirectIoProbe.Result r = DirectIoProbe.probe(dir, 4096);
        assertNotNull(r.reason());
        assertTrue(Files.list(dir).toList().isEmpty(), "probe file deleted");
        FileIO io = DirectIoProbe.forDirectory(dir, true, 4096);
        assertTrue(io.directIo() == r.directIo());
    }

    @Test
    void probeOfMissingDirectoryReportsFalseAndForDirectoryFallsBack() {
        assumeTrue(PosixFileIO.isSupported());
        Path missing = dir.resolve("no-such-dir");
        DirectIoProbe.Result r = DirectIoProbe.probe(missing, 4096);
        assertFalse(r.directIo());
        assertTrue(r.reason().contains("no-such-dir"), r.reason());
        FileIO io = DirectIoProbe.forDirectory(missing, true, 4096);
        assertInstanceOf(PosixFileIO.class, io);
        assertFalse(io.directIo());
    }

    @Test
    void bufferedWhenDirectNotRequested() {
        FileIO io = DirectIoProbe.forDirectory(dir, false, 4096);
        assertFalse(io.directIo());
    }

    /**
     * tmpfs refused O_DIRECT at open with EINVAL until Linux 6.6, which added trivial direct IO
     * to tmpfs; on newer kernels the expectation does not hold and the test is skipped.
     */
    @Test
    void tmpfsRefusesDirectIoOnOldKernels() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        assumeTrue("tmpfs".equals(Files.getFileStore(shm).type()), "/dev/shm is not tmpfs");
        DirectIoProbe.Result r = DirectIoProbe.probe(shm, 4096);
        List<Path> leftovers = Files.list(shm)
                .filter(p -> p.getFileName().toString().startsWith(DirectIoProbe.PROBE_FILE_PREFIX + ProcessHandle.current().pid() + "-"))
                .toList();
        assertTrue(leftovers.isEmpty(), "probe file deleted even when O_DIRECT open fails after creating it");
        assumeFalse(kernelAtLeast(6, 6), "Linux >= 6.6 supports O_DIRECT on tmpfs; probe said: " + r.reason());
        assertFalse(r.directIo(), r.reason());
        assertTrue(r.reason().contains("EINVAL"), r.reason());
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version", "0.0").split("[.-]");
        try {
            int ma = Integer.parseInt(v[0]);
            int mi = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
