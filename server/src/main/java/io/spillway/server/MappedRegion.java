package io.spillway.server;

import io.spillway.server.protocol.Status;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A client's shared-memory file, mapped shared into the daemon: dumps read from its pages and
 * loads write into them, with no copy through the socket or the Java heap.
 *
 * <p>Lifetime: the mapping lives in its own shared {@link Arena}. Every job that names the region
 * holds a reference ({@link #acquire}) until the store has finished with its buffers (the store
 * never touches a task's buffers after the task completed, even by timeout). {@link #unregister}
 * (the client's request, or its connection closing) forbids new references; the mapping is
 * unmapped when the last reference goes. The file descriptor is closed right after mapping, so a
 * region costs no descriptor.
 *
 * <p>Who may register what, in order: the path must be absolute and resolve (symlinks followed)
 * to a regular file under the region root ({@code /dev/shm}); the peer must own the file, or be
 * root (the daemon must not map for a client a file the client could not open itself); the size
 * must be positive and at most the file's length. A client that truncates a file the daemon has
 * mapped is a hostile client: the daemon's later accesses to the vanished pages fault.
 */
final class MappedRegion {

    private final int id;
    private final Path path;
    private final long size;
    private final Arena arena;
    private final MemorySegment segment;
    private final ServerState state;
    private int refs; // guarded by this
    private boolean unregistered; // guarded by this
    private boolean unmapped; // guarded by this

    private MappedRegion(int id, Path path, long size, Arena arena, MemorySegment segment, ServerState state) {
        this.id = id;
        this.path = path;
        this.size = size;
        this.arena = arena;
        this.segment = segment;
        this.state = state;
    }

    /** Checks and maps {@code size} bytes of {@code requested} for {@code peer}. */
    static MappedRegion map(int id, String requested, long size, PeerCredentials peer, ServerState state) throws RegionException {
        Path root = state.options().regionRoot();
        Path p = Path.of(requested);
        if (!p.isAbsolute()) {
            throw new RegionException(Status.BAD_REQUEST, "region path '" + requested + "' is not absolute");
        }
        Path real;
        try {
            real = p.toRealPath();
            if (!real.startsWith(root.toRealPath())) {
                throw new RegionException(Status.ACCESS_DENIED, "region path " + requested + " resolves to " + real
                        + ", which is not under " + root + "; create shared-memory regions under " + root);
            }
            BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                throw new RegionException(Status.BAD_REQUEST, "region path " + real + " is not a regular file");
            }
            checkOwner(real, peer);
        } catch (NoSuchFileException e) {
            throw new RegionException(Status.BAD_REQUEST, "region file " + requested + " does not exist");
        } catch (IOException e) {
            throw new RegionException(Status.BAD_REQUEST, "cannot inspect region file " + requested + ": " + e.getMessage());
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(real, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            long length = ch.size();
            if (size > length) {
                throw new RegionException(Status.BAD_REQUEST, "region size " + size + " exceeds the length of " + real + " ("
                        + length + " bytes); grow the file first (ftruncate, or posix_fallocate to also reserve its pages)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            MappedRegion r = new MappedRegion(id, real, size, arena, seg, state);
            state.regionMapped(size);
            return r;
        } catch (IOException e) {
            arena.close();
            throw new RegionException(Status.BAD_REQUEST, "cannot map region file " + real + ": " + e.getMessage());
        } catch (RegionException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkOwner(Path real, PeerCredentials peer) throws IOException, RegionException {
        if (peer.isRoot()) {
            return;
        }
        boolean owner;
        String ownerName = Files.getOwner(real, LinkOption.NOFOLLOW_LINKS).getName();
        if (peer.uid() >= 0) {
            Object uid = Files.getAttribute(real, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            owner = uid instanceof Integer i && Integer.toUnsignedLong(i) == peer.uid();
        } else {
            owner = ownerName.equals(peer.user());
        }
        if (!owner) {
            throw new RegionException(Status.ACCESS_DENIED, "region file " + real + " belongs to " + ownerName + ", not to the peer ("
                    + peer + "); a client may register only its own files");
        }
    }

    int id() {
        return id;
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** The slice a block names, or a reason it cannot be used. */
    MemorySegment slice(long offset, int length) throws RegionException {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new RegionException(Status.BAD_REQUEST, "slice [" + offset + ", " + offset + " + " + length + ") is outside region "
                    + id + " (" + size + " bytes)");
        }
        return segment.asSlice(offset, length);
    }

    /** Takes a reference for a job; false once the region is unregistered. */
    synchronized boolean acquire() {
        if (unregistered) {
            return false;
        }
        refs++;
        return true;
    }

    /** Drops a job's reference; the last one after {@link #unregister} unmaps. */
    void release() {
        boolean unmap;
        synchronized (this) {
            if (refs <= 0) {
                throw new IllegalStateException("region " + id + " released more often than acquired");
            }
            refs--;
            unmap = unregistered && refs == 0 && !unmapped;
            unmapped |= unmap;
        }
        if (unmap) {
            unmap();
        }
    }

    /** No new job may use the region; it is unmapped now or when its last job finishes. Idempotent. */
    void unregister() {
        boolean unmap;
        synchronized (this) {
            unregistered = true;
            unmap = refs == 0 && !unmapped;
            unmapped |= unmap;
        }
        if (unmap) {
            unmap();
        }
    }

    private void unmap() {
        arena.close();
        state.regionUnmapped(size);
    }

    @Override
    public String toString() {
        return "region " + id + " (" + path + ", " + size + " bytes)";
    }
}
