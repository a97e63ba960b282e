package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AnonymousMemoryTest {

    @BeforeAll
    static void linuxOnly() {
        assumeTrue(AnonymousMemory.unavailableReason().isEmpty(), () -> "no mmap here: " + AnonymousMemory.unavailableReason());
    }

    @Test
    void mappingIsHugePageAlignedZeroedAndWritable() throws IOException {
        try (AnonymousMemory m = AnonymousMemory.map(3L << 20)) {
            MemorySegment s = m.segment();
            assertEquals(4L << 20, s.byteSize(), "rounded up to whole huge pages");
            assertEquals(0, s.address() % AnonymousMemory.HUGE_PAGE);
            assertTrue(AlignedBuffers.isAligned(s, 4096));
            for (long off = 0; off < s.byteSize(); off += 4096) {
                assertEquals(0L, s.get(ValueLayout.JAVA_LONG, off), "zeroed at " + off);
            }
            s.set(ValueLayout.JAVA_LONG, s.byteSize() - 8, 42L);
            assertEquals(42L, s.get(ValueLayout.JAVA_LONG, s.byteSize() - 8));
        }
    }

    @Test
    void touchedMemoryIsBackedByHugePagesWhereTheKernelOffersThem() throws IOException {
        String thp = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
        assumeTrue(thp.contains("[always]") || thp.contains("[madvise]"), "transparent huge pages are off: " + thp.strip());
        try (AnonymousMemory m = AnonymousMemory.map(4L << 20)) {
            MemorySegment s = m.segment();
            for (long off = 0; off < s.byteSize(); off += 4096) {
                s.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
            }
            long hugeKiB = anonHugeKiB(s.address());
            // The kernel may fall back to base pages when it has no free huge page; then there is nothing to check.
            assumeTrue(hugeKiB > 0, "the kernel gave base pages this time (no free 2 MiB page)");
            assertEquals(0, hugeKiB % 2048, "whole huge pages");
        }
    }

    /** AnonHugePages of the mapping that contains {@code address}, from /proc/self/smaps. */
    private static long anonHugeKiB(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            if (Character.isDigit(line.charAt(0)) || (line.charAt(0) >= 'a' && line.charAt(0) <= 'f' && line.contains("-"))) {
                String[] range = line.split(" ")[0].split("-");
                long lo = Long.parseUnsignedLong(range[0], 16);
                long hi = Long.parseUnsignedLong(range[1], 16);
                inside = address >= lo && address < hi;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    @Test
    void aClosedMappingCannotBeTouched() throws IOException {
        AnonymousMemory m = AnonymousMemory.map(1);
        MemorySegment s = m.segment();
        m.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalArgumentException.class, () -> AnonymousMemory.map(0));
    }
}
