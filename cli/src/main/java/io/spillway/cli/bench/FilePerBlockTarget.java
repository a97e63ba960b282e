package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A reimplementation of the file-per-block layout of llm-d's fs backend and UCM's Posix store,
 * the peer a user would otherwise pick. Not their code: their design, in Java, with the same
 * threads, block sizes and buffers as Spillway's run.
 *
 * <p>Layout: block {@code h} (the key in hex) lives in {@code <root>/<h[0:3]>/<h>}.
 * A dump writes each block to a per-thread temporary file next to its target
 * ({@code <h>_<thread>.tmp}, as llm-d's {@code write_tensor_to_file} does) with buffered IO, then
 * renames it into place. A load opens, reads and closes the file (buffered; the bench drops the
 * page cache before a load phase where it may).
 *
 * <p>Two variants, both labelled:
 * <ul>
 *   <li>{@value #ID}: as those systems run. UCM's Posix store, llm-d's fs backend and vLLM's
 *       file tier neither fsync the file nor the directory, so their blocks can vanish or be
 *       torn after a power loss. This is the peer of Spillway's {@code durability: none}.</li>
 *   <li>{@value #FSYNC_ID}: made durable, the peer of Spillway's {@code durability: batch}
 *       (which acknowledges a dump only after its data is synced). Each file is fsynced before
 *       its rename (else a crash could leave an empty or torn file under the final name), and
 *       after every rename of a task, each parent directory the task touched is fsynced once (so
 *       the renames are durable): the batch's group commit, one per directory per task, not one
 *       per block.</li>
 * </ul>
 */
public final class FilePerBlockTarget implements BenchTarget {

    public static final String ID = "file-per-block";
    public static final String FSYNC_ID = "file-per-block-fsync";

    private final Path root;
    private final boolean fsync;

    /**
     * @param fsync the durable variant ({@value #FSYNC_ID}): fsync each file and the touched
     *     directories; false is the peers as they run ({@value #ID})
     */
    public FilePerBlockTarget(Path root, boolean fsync) throws IOException {
        this.root = Files.createDirectories(root);
        this.fsync = fsync;
    }

    @Override
    public String id() {
        return fsync ? FSYNC_ID : ID;
    }

    @Override
    public String label() {
        return fsync ? "file-per-block + fsync (durable; reimpl.)" : "file-per-block, no fsync (as run; reimpl.)";
    }

    @Override
    public String readPath() {
        return "buffered open/read/close";
    }

    /** {@code <root>/<hex[0:3]>/<hex>}. */
    static Path pathOf(Path root, BlockKey key) {
        String hex = key.toHex();
        return root.resolve(hex.substring(0, 3)).resolve(hex);
    }

    /** The per-thread temporary name next to {@code target}. */
    static Path tempPathOf(Path target, int thread) {
        return target.resolveSibling(target.getFileName() + "_" + thread + ".tmp");
    }

    @Override
    public int dump(int thread, List<BlockKey> keys, List<MemorySegment> sources) throws IOException {
        Set<Path> dirs = new LinkedHashSet<>();
        for (int i = 0; i < keys.size(); i++) {
            Path target = pathOf(root, keys.get(i));
            Path dir = target.getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                // A new subdirectory's own entry must be durable too.
                dirs.add(root);
            }
            Path tmp = tempPathOf(target, thread);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, sources.get(i).asByteBuffer());
                if (fsync) {
                    ch.force(true);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            dirs.add(dir);
        }
        if (fsync) {
            for (Path dir : dirs) {
                fsyncDirectory(dir);
            }
        }
        return keys.size();
    }

    @Override
    public boolean[] load(int thread, List<BlockKey> keys, List<MemorySegment> destinations) throws IOException {
        boolean[] ok = new boolean[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            ByteBuffer dst = destinations.get(i).asByteBuffer();
            try (FileChannel ch = FileChannel.open(pathOf(root, keys.get(i)), StandardOpenOption.READ)) {
                long size = ch.size();
                if (size != dst.remaining()) {
                    continue;
                }
                while (dst.hasRemaining()) {
                    if (ch.read(dst) < 0) {
                        break;
                    }
                }
                ok[i] = !dst.hasRemaining();
            } catch (NoSuchFileException e) {
                ok[i] = false;
            }
        }
        return ok;
    }

    private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ch.write(src);
        }
    }

    /** fsync of a directory: Linux allows opening one read-only and forcing it. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void close() {
        // Nothing held open between calls: every dump and load opens and closes its own files.
    }
}
