package io.spillway.recovery;

import io.spillway.segments.SegmentLayout;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applies a {@link SegmentPatch} to a sealed segment so that a crash at any point leaves, under
 * the segment's name, either the file as it was or the repaired one, never a mix. Every repair
 * of a sealed segment's bytes (its header, a group's header block, its footer, its length,
 * padding) goes through here.
 *
 * <p>Protocol:
 * <ol>
 *   <li>Delete a leftover {@code seg-<id>.repair.tmp} from an earlier, interrupted repair, then
 *       create it afresh beside the segment (beside its target when the segment's name is a
 *       symbolic link, so the rename below keeps the link and stays on one file system).
 *   <li>Copy the segment's bytes into it, up to the patched length (zeros past the segment's
 *       end), write the patch's writes over them, and set the patched length.
 *   <li>fdatasync the temporary file.
 *   <li>Verify the temporary file with the caller's check, reading it back from disk; if that
 *       fails, delete it and throw: the segment was not touched.
 *   <li>Rename it over the segment (rename(2) replaces the name atomically).
 *   <li>fsync the directory.
 * </ol>
 * A crash before step 5 leaves the segment untouched and a temporary file whose name
 * {@link TempFiles} knows as ours, which the next open, {@code fsck --repair} or a later repair
 * of the same segment (step 1) removes. After step 5, the name holds the repaired file; a power
 * loss before step 6 may bring the old name back, which a second repair redoes. Record offsets
 * never change, so the index entries of the segment's records stay valid throughout.
 *
 * <p>The cost is a copy of the segment (a transient extra segment of space, one read and one
 * write of it): a repair is rare and offline, and in-place writes would leave a half-written
 * header block or footer after a crash.
 */
final class SegmentRewrite {

    /** What step 4 runs on the temporary file. */
    @FunctionalInterface
    interface Verification {
        /** Throws if {@code file}, the repaired copy of segment {@code segmentId}, does not check out. */
        void check(FileIO io, Path file, long segmentId) throws IOException;
    }

    private static final long CHUNK = 4L << 20;

    private SegmentRewrite() {
    }

    /** The temporary file of a repair of segment {@code segmentId} in {@code dir}. */
    static Path tempFile(Path dir, long segmentId) {
        return dir.resolve(String.format("seg-%016x.repair.tmp", segmentId));
    }

    /** Steps 1 to 6 for segment file {@code file} (a sealed segment's name) and {@code patch}. */
    static void apply(FileIO io, Path file, long segmentId, SegmentPatch patch, Verification verification) throws IOException {
        if (io.directIo()) {
            throw new IllegalArgumentException("segment repairs write through buffered IO only");
        }
        Path target = Files.isSymbolicLink(file) ? file.toRealPath() : file;
        Path dir = target.getParent();
        // Step 1.
        Path tmp = tempFile(dir, segmentId);
        io.delete(tmp);
        try {
            // Steps 2 and 3.
            try (StoreFile src = io.openRead(target); StoreFile dst = io.create(tmp); Arena arena = Arena.ofConfined()) {
                long newLength = patch.lengthAfter(src.size());
                copy(src, dst, Math.min(newLength, src.size()), arena, Math.max(io.alignment(), 4096));
                for (SegmentPatch.Write w : patch.writes()) {
                    MemorySegment buf = arena.allocate(w.bytes().length, 8);
                    MemorySegment.copy(w.bytes(), 0, buf, ValueLayout.JAVA_BYTE, 0, w.bytes().length);
                    dst.write(buf, w.offset());
                }
                dst.truncate(newLength);
                dst.sync();
            }
            // Step 4.
            verification.check(io, tmp, segmentId);
        } catch (IOException | RuntimeException e) {
            try {
                io.delete(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        // Steps 5 and 6.
        io.rename(tmp, target);
        io.syncDirectory(dir);
    }

    /** Copies [0, length) of {@code src} to {@code dst} in chunks. */
    private static void copy(StoreFile src, StoreFile dst, long length, Arena arena, int unit) throws IOException {
        MemorySegment buf = arena.allocate(CHUNK, unit);
        for (long at = 0; at < length; at += CHUNK) {
            long want = Math.min(CHUNK, length - at);
            long n = src.read(buf.asSlice(0, SegmentLayout.alignUp(want, unit)), at);
            if (n < want) {
                throw new IOException("segment ended at " + (at + n) + " while copying it, before " + length);
            }
            dst.write(buf.asSlice(0, want), at);
        }
    }
}
