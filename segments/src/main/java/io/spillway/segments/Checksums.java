package io.spillway.segments;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * CRC32C, the checksum of every header, payload and footer. {@link CRC32C} is a JDK intrinsic
 * (SSE4.2 / ARMv8 CRC instructions), so checking every load costs a few percent of a disk read.
 */
public final class Checksums {

    private Checksums() {
    }

    /** CRC32C of {@code length} bytes of {@code bytes} from {@code offset}. */
    public static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** CRC32C of a whole segment (heap or native). */
    public static int crc32c(MemorySegment data) {
        CRC32C crc = new CRC32C();
        update(crc, data);
        return (int) crc.getValue();
    }

    /** CRC32C of the concatenation of {@code pieces}. */
    public static int crc32c(List<MemorySegment> pieces) {
        CRC32C crc = new CRC32C();
        for (MemorySegment p : pieces) {
            update(crc, p);
        }
        return (int) crc.getValue();
    }

    /** Feeds {@code data} to {@code crc}, in chunks so that segments over 2 GiB work too. */
    public static void update(CRC32C crc, MemorySegment data) {
        long size = data.byteSize();
        for (long off = 0; off < size; off += Integer.MAX_VALUE) {
            long n = Math.min(Integer.MAX_VALUE, size - off);
            crc.update(data.asSlice(off, n).asByteBuffer());
        }
    }
}
