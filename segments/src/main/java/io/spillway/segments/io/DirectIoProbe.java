package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per directory, whether O_DIRECT works, by trying it.
 *
 * <p>Why probe instead of trusting the configuration or the file-system type: tmpfs before
 * Linux 6.6 and many FUSE and NFS mounts refuse O_DIRECT with EINVAL, some only at the first
 * write rather than at open, and some reject an alignment smaller than their block size. The
 * only reliable answer is a real aligned create, write and read-back in the directory itself.
 * Where it fails the store falls back to buffered IO plus fdatasync, which keeps every
 * durability guarantee and only loses the page-cache bypass.
 */
public final class DirectIoProbe {

    /** Probe files start with this; a crash mid-probe can leave one, which listings should skip. */
    public static final String PROBE_FILE_PREFIX = ".spillway-probe-";

    private static final Logger LOG = LoggerFactory.getLogger(DirectIoProbe.class);
    private static final int PROBE_BYTES = 4096;
    /** Directory and decision already logged, so repeated opens log once. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private DirectIoProbe() {
    }

    /**
     * The probe's answer.
     *
     * @param directIo whether O_DIRECT create, write and read-back worked
     * @param reason   what was tried and, when it failed, the error text
     */
    public record Result(boolean directIo, String reason) {
    }

    /**
     * Creates {@code dir/.spillway-probe-<pid>-<random>} with O_DIRECT, writes 4 KiB (rounded up
     * to {@code alignment}) from an aligned buffer, reads it back, compares, and deletes the file.
     * Never throws for a file-system refusal: every IO failure becomes a false result with the
     * exception text as the reason. An alignment that is not a power of two is a configuration
     * error and throws IllegalArgumentException.
     */
    public static Result probe(Path dir, int alignment) {
        AlignedBuffers.requireAlignment(alignment);
        var unsupported = PosixFileIO.unsupportedReason();
        if (unsupported.isPresent()) {
            return new Result(false, "POSIX IO through FFM unavailable: " + unsupported.get());
        }
        if (alignment < PosixFileIO.MIN_DIRECT_ALIGNMENT) {
            return new Result(false, "alignment " + alignment + " is below the smallest device block size "
                    + PosixFileIO.MIN_DIRECT_ALIGNMENT);
        }
        PosixFileIO io = new PosixFileIO(true, alignment);
        Path file = dir.resolve(PROBE_FILE_PREFIX + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        long length = AlignedBuffers.alignUp(PROBE_BYTES, alignment);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = AlignedBuffers.allocate(arena, length, alignment);
            MemorySegment in = AlignedBuffers.allocate(arena, length, alignment);
            for (long i = 0; i < length; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            try (StoreFile f = io.create(file)) {
                f.write(out, 0);
            }
            long n;
            try (StoreFile f = io.openRead(file)) {
                n = f.read(in, 0);
            }
            if (n != length) {
                return new Result(false, "O_DIRECT read-back in " + dir + " returned " + n + " of " + length + " bytes");
            }
            long mismatch = in.mismatch(out);
            if (mismatch >= 0) {
                return new Result(false, "O_DIRECT read-back in " + dir + " differs at byte " + mismatch);
            }
            return new Result(true, "O_DIRECT create, write and read-back of " + length + " bytes at alignment "
                    + alignment + " succeeded in " + dir);
        } catch (IOException | RuntimeException e) {
            return new Result(false, e.toString());
        } finally {
            deleteProbeFile(file);
        }
    }

    /**
     * The {@link FileIO} to use for a store directory: {@link PosixFileIO} with O_DIRECT when
     * asked for and the probe succeeds, buffered {@link PosixFileIO} otherwise, and
     * {@link ChannelFileIO} where FFM POSIX IO is unavailable. The choice and its reason are
     * logged once per directory: INFO when it is what was asked for, WARN for a fallback.
     */
    public static FileIO forDirectory(Path dir, boolean wantDirect, int alignment) {
        AlignedBuffers.requireAlignment(alignment);
        var unsupported = PosixFileIO.unsupportedReason();
        if (unsupported.isPresent()) {
            logOnce(dir, "channel", true, "store {}: using portable buffered FileChannel IO, POSIX IO unavailable ({})",
                    unsupported.get());
            return new ChannelFileIO(alignment);
        }
        if (!wantDirect) {
            logOnce(dir, "buffered", false, "store {}: using buffered POSIX IO with fdatasync, O_DIRECT not requested",
                    null);
            return new PosixFileIO(false, alignment);
        }
        Result r = probe(dir, alignment);
        if (r.directIo()) {
            logOnce(dir, "direct", false, "store {}: using O_DIRECT POSIX IO ({})", r.reason());
            return new PosixFileIO(true, alignment);
        }
        logOnce(dir, "fallback", true,
                "store {}: O_DIRECT requested but refused, falling back to buffered POSIX IO with fdatasync ({})",
                r.reason());
        return new PosixFileIO(false, alignment);
    }

    private static void logOnce(Path dir, String decision, boolean warn, String format, String why) {
        Path abs = dir.toAbsolutePath().normalize();
        if (LOGGED.add(abs + "\0" + decision)) {
            Object[] args = why == null ? new Object[] {abs} : new Object[] {abs, why};
            if (warn) {
                LOG.warn(format, args);
            } else {
                LOG.info(format, args);
            }
        }
    }

    private static void deleteProbeFile(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete direct IO probe file {}: {}", file, e.toString());
        }
    }
}
