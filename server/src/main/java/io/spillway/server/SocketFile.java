package io.spillway.server;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's listening socket file and its directory: file permissions are the access control.
 *
 * <p>Binding, in order:
 * <ol>
 *   <li>The directory: created with mode 0750 if missing (and removed at close if empty). An
 *       existing one must be a directory that no other user can write to: whoever can write
 *       there can replace the socket and impersonate the daemon.
 *   <li>An existing file at the path: not a socket, refused; a socket some daemon accepts on,
 *       refused (naming it); a socket nobody accepts on (left by a killed daemon), removed.
 *   <li>Bind, then chmod 0660: owner and group may connect, others may not. The moment between
 *       the two is safe because the directory already keeps others out.
 * </ol>
 * At close the socket file is removed if it is still the one this daemon bound.
 */
final class SocketFile implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SocketFile.class);
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");

    private final Path path;
    private final Path createdDir;
    private final ServerSocketChannel channel;
    private final Object fileKey;

    private SocketFile(Path path, Path createdDir, ServerSocketChannel channel, Object fileKey) {
        this.path = path;
        this.createdDir = createdDir;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    static SocketFile bind(Path socket, int backlog) throws IOException {
        Path path = socket.toAbsolutePath().normalize();
        Path dir = path.getParent();
        Path created = null;
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, DIR_MODE);
            created = dir;
        } else {
            checkDirectory(dir);
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            removeStale(path);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), backlog);
            Files.setPosixFilePermissions(path, SOCKET_MODE);
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new SocketFile(path, created, ch, key);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void checkDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the socket's directory " + dir + " is not a directory (or is a symlink)");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (perms.contains(PosixFilePermission.OTHERS_WRITE) || perms.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new IOException("the socket's directory " + dir + " is writable by other users (mode "
                    + PosixFilePermissions.toString(perms) + "), who could replace the socket; use a directory only this user can"
                    + " write to, or a new one that the daemon creates (e.g. --socket " + dir.resolve("spillway").resolve("spillway.sock") + ")");
        }
    }

    private static void removeStale(Path path) throws IOException {
        if (!"s".equals(fileType(path))) {
            throw new IOException(path + " exists and is not a socket; remove it or choose another --socket");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("another daemon is serving on " + path + " (it accepted a connection); stop it first or choose"
                    + " another --socket");
        } catch (ConnectException e) {
            LOG.info("removing the stale socket {} (nobody accepts on it: its daemon died)", path);
            Files.delete(path);
        }
    }

    /** "s" for a socket, from the unix:mode attribute's S_IFMT bits. */
    private static String fileType(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000 ? "s" : "other";
    }

    Path path() {
        return path;
    }

    ServerSocketChannel channel() {
        return channel;
    }

    /** Stops accepting and removes the socket file (if still ours) and the directory (if ours and empty). */
    @Override
    public void close() throws IOException {
        channel.close();
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key != null && key.equals(fileKey)) {
                Files.delete(path);
            }
        } catch (NoSuchFileException e) {
            // already removed
        }
        if (createdDir != null) {
            try {
                Files.deleteIfExists(createdDir);
            } catch (DirectoryNotEmptyException e) {
                LOG.debug("leaving {}: not empty", createdDir);
            }
        }
    }
}
