package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw ring on the CPU alone: no-ops and reads go through the mapped rings and come back with
 * their user data and the kernel's result. Skipped (with the kernel's reason) where io_uring is
 * refused, e.g. under a container's seccomp profile.
 */
class IoUringTest {

    @TempDir
    Path dir;

    private IoUring ring;

    @BeforeEach
    void open() {
        assumeTrue(IoUring.unavailableReason().isEmpty(), () -> "no FFM syscalls here: " + IoUring.unavailableReason());
        try {
            ring = IoUring.open(8);
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "io_uring refused here: " + e.getMessage());
        }
    }

    @AfterEach
    void close() throws IOException {
        if (ring != null) {
            ring.close();
        }
    }

    /** Reaps until {@code n} completions arrived; user data to result. */
    private Map<Long, Integer> reap(int n) throws IOException {
        Map<Long, Integer> got = new HashMap<>();
        while (got.size() < n) {
            ring.awaitCompletions((userData, result) -> got.put(userData, result));
        }
        return got;
    }

    @Test
    void theKernelRoundsEntriesToAPowerOfTwo() throws IOException {
        IoUring odd = IoUring.open(5);
        try {
            assertEquals(8, odd.entries());
        } finally {
            odd.close();
        }
        assertThrows(IllegalArgumentException.class, () -> IoUring.open(0));
    }

    @Test
    void aNopComesBackWithItsUserData() throws IOException {
        ring.submitNop(42);
        assertEquals(Map.of(42L, 0), reap(1));
    }

    @Test
    void readsLandAtTheirOffsetsAndReportTheirLength() throws IOException {
        byte[] data = new byte[3 * 4096 + 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        Path file = Files.write(dir.resolve("f"), data);
        int fd = LinuxSyscalls.open(file, LinuxSyscalls.O_RDONLY | LinuxSyscalls.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4 * 4096L, 4096);
            for (int k = 0; k < 4; k++) {
                ring.submitRead(fd, buf.address() + k * 4096L, 4096, k * 4096L, 100 + k);
            }
            Map<Long, Integer> got = reap(4);
            assertEquals(Map.of(100L, 4096, 101L, 4096, 102L, 4096, 103L, 100), got, "the last read stops at end of file");
            for (int i = 0; i < data.length; i++) {
                assertEquals(data[i], buf.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        } finally {
            LinuxSyscalls.close(fd, file);
        }
    }

    @Test
    void aFailedReadReportsMinusErrno() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096, 4096);
            ring.submitRead(Integer.MAX_VALUE, buf.address(), 4096, 0, 7); // no such descriptor
            assertEquals(Map.of(7L, -Errno.EBADF), reap(1));
        }
    }

    @Test
    void moreOperationsThanEntriesOverTimeReuseTheRing() throws IOException {
        Path file = Files.write(dir.resolve("g"), new byte[4096]);
        int fd = LinuxSyscalls.open(file, LinuxSyscalls.O_RDONLY | LinuxSyscalls.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096, 4096);
            for (int round = 0; round < 50; round++) {
                for (int k = 0; k < ring.entries(); k++) {
                    ring.submitRead(fd, buf.address(), 4096, 0, round * 1000L + k);
                }
                Map<Long, Integer> got = reap(ring.entries());
                assertEquals(ring.entries(), got.size());
                assertTrue(got.values().stream().allMatch(r -> r == 4096), got.toString());
            }
        } finally {
            LinuxSyscalls.close(fd, file);
        }
    }

    @Test
    void aClosedRingRefusesSubmissions() throws IOException {
        ring.close();
        IOException e = assertThrows(IOException.class, () -> ring.submitNop(1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        ring = null;
    }
}
