package io.spillway.engine.cache;

import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.StoreFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * The arena file, mapped shared: a superblock, the slot header table and the slots ({@link
 * ArenaLayout}). Owners map it read-write; readers in other processes map it read-only.
 *
 * <p><b>Why the file is fully allocated at creation.</b> /dev/shm is a tmpfs: a sparse file's
 * pages are allocated when first touched, and a touch the tmpfs cannot back kills the toucher with
 * SIGBUS (seen in Java as an {@link InternalError} in the middle of a copy). {@link #create}
 * therefore reserves every page with fallocate(2) first, so a full /dev/shm is an ENOSPC at open,
 * with a message, and never a fault later. A foreign process that truncates the file still causes
 * faults; the tier catches them and stops using the arena ({@link CacheFaultException}).
 *
 * <p><b>Creation is atomic</b>: the file is built under a temporary name ({@code arena.tmp-<pid>}),
 * formatted, and renamed into place, so no process ever maps a half-made arena.
 */
final class SlotArena implements AutoCloseable {

    private final Path file;
    private final ArenaLayout layout;
    private final FileChannel channel;
    private final Arena mappingArena;
    private final MemorySegment mapping;
    private final Superblock superblock;
    private final boolean writable;

    private SlotArena(Path file, ArenaLayout layout, FileChannel channel, Arena mappingArena, MemorySegment mapping,
                      boolean writable) {
        this.file = file;
        this.layout = layout;
        this.channel = channel;
        this.mappingArena = mappingArena;
        this.mapping = mapping;
        this.superblock = new Superblock(mapping);
        this.writable = writable;
    }

    /**
     * Creates (replacing any file at {@code file}) and maps a fresh, zeroed arena.
     *
     * @param io the file layer used to reserve the pages (tests inject ENOSPC here)
     * @throws CacheSpaceException if the file system cannot hold it
     */
    static SlotArena create(Path file, ArenaLayout layout, FileIO io) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        long size = layout.fileSize();
        try {
            try (StoreFile f = io.create(tmp)) {
                try {
                    if (!f.preallocate(0, size)) {
                        throw new IOException("the file system of " + file + " cannot reserve the arena's pages (no fallocate);"
                                + " put cache_path on a tmpfs such as /dev/shm");
                    }
                } catch (IOException e) {
                    throw CacheSpaceException.wrapIfNoSpace(e, file, size);
                }
                f.truncate(size);
            }
            try (SlotArena a = map(tmp, layout, true)) {
                Superblock.format(a.mapping, layout, new SecureRandom().nextLong());
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return map(file, layout, true);
    }

    /**
     * Maps an existing arena after checking its superblock and length.
     *
     * @param expected the geometry it must have, or null to take the one it records (readers, fsck)
     * @throws CacheFormatException if the file is not an arena of ours, has another geometry, or is
     *     shorter than its geometry says (truncated)
     */
    static SlotArena open(Path file, ArenaLayout expected, boolean writable) throws IOException {
        long length = Files.size(file);
        if (length < ArenaLayout.MIN_PAGE) {
            throw new CacheFormatException(file, "is " + length + " bytes, shorter than a superblock", length > 0);
        }
        ArenaLayout found;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena a = Arena.ofConfined()) {
            Superblock sb = new Superblock(ch.map(FileChannel.MapMode.READ_ONLY, 0, ArenaLayout.MIN_PAGE, a));
            String problem = sb.problem(expected);
            if (problem != null) {
                throw new CacheFormatException(file, problem, sb.ours());
            }
            found = sb.layout();
        }
        if (length < found.fileSize()) {
            throw new CacheFormatException(file, "is truncated: " + length + " bytes, its geometry needs " + found.fileSize(), true);
        }
        return map(file, found, writable);
    }

    /**
     * Marks an arena of ours that is about to be replaced as retired, so that readers still
     * mapping it reattach to the new one. Does nothing if the file is too short or not ours.
     */
    static void retire(Path file) throws IOException {
        if (Files.size(file) < ArenaLayout.MIN_PAGE) {
            return;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena a = Arena.ofConfined()) {
            Superblock sb = new Superblock(ch.map(FileChannel.MapMode.READ_WRITE, 0, ArenaLayout.MIN_PAGE, a));
            if (sb.ours()) {
                sb.retire();
            }
        }
    }

    private static SlotArena map(Path file, ArenaLayout layout, boolean writable) throws IOException {
        FileChannel ch = writable
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment m = ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0,
                    layout.fileSize(), arena);
            return new SlotArena(file, layout, ch, arena, m, writable);
        } catch (IOException | RuntimeException e) {
            arena.close();
            ch.close();
            throw e;
        }
    }

    /** Locks the whole mapping in RAM (see {@link MemoryLock}). */
    void mlock() throws IOException {
        MemoryLock.lock(mapping, file.toString());
    }

    Path file() {
        return file;
    }

    ArenaLayout layout() {
        return layout;
    }

    Superblock superblock() {
        return superblock;
    }

    boolean writable() {
        return writable;
    }

    /** The whole mapping: page-aligned, {@link ArenaLayout#fileSize()} bytes (what a CUDA client registers). */
    MemorySegment mapping() {
        return mapping;
    }

    /** Slot {@code slot}'s bytes (a page-aligned view of {@link ArenaLayout#slotSize()} bytes). */
    MemorySegment slot(int slot) {
        return mapping.asSlice(layout.slotOffset(slot), layout.slotSize());
    }

    long headerAt(int slot) {
        return layout.headerOffset(slot);
    }

    SlotHeader header(int slot) {
        return SlotHeader.read(mapping, headerAt(slot));
    }

    long seq(int slot) {
        return SlotHeader.seqAcquire(mapping, headerAt(slot));
    }

    /** Whether the file still has the length its geometry needs (a foreign truncation breaks this). */
    boolean intact() {
        try {
            return channel.size() >= layout.fileSize();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            mappingArena.close();
        } finally {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "SlotArena[" + file + ", " + Superblock.describe(layout) + "]";
    }
}
