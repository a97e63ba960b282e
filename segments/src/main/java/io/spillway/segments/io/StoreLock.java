package io.spillway.segments.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The one-writer-per-directory lock: an fcntl lock on {@code <dir>/LOCK}, whose text names the
 * owner ({@code pid=<pid>} and {@code host=<host>} lines).
 *
 * <p>Why fcntl ({@link FileChannel#tryLock()}) and not the file's existence: the kernel drops the
 * lock when the owner dies, even by {@code kill -9}, so a stale LOCK file is taken over by simply
 * locking it and rewriting the owner. The text is only for the error message; the lock is the
 * truth. fcntl locks also work across hosts on NFSv4 and most shared file systems.
 *
 * <p>Why an in-process registry as well: POSIX drops all of a process's locks on a file when
 * any descriptor of that file is closed. Opening and closing {@code LOCK} again in the process
 * that holds it would silently release the lock, so a second {@link #acquire} or a
 * {@link #holder} in the same JVM is answered from the registry without touching the file.
 * (Two class loaders each loading this class would have separate registries; the store does not
 * do that.)
 *
 * <p>{@link #close()} releases the lock but leaves the file: deleting it would race a new opener
 * that has just opened the old file and would lock an unlinked inode.
 */
public final class StoreLock implements AutoCloseable {

    public static final String FILE_NAME = "LOCK";

    /** Real paths of the store directories locked by this JVM. Guarded by itself. */
    private static final Set<Path> HELD = new HashSet<>();
    /**
     * {@link #holder} briefly takes a shared lock to look; {@link #acquire} retries this many
     * times, this many ms apart, before deciding the lock is really held.
     */
    private static final int ACQUIRE_ATTEMPTS = 3;
    private static final long ACQUIRE_RETRY_MS = 10;

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed; // guarded by HELD

    private StoreLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the store directory {@code dir} (which must exist) for this process and records
     * this process's PID and host in {@code LOCK}.
     *
     * @throws StoreLockedException if another process, or this one, holds the lock
     */
    public static StoreLock acquire(Path dir) throws IOException {
        Path real = dir.toRealPath();
        Path lockFile = real.resolve(FILE_NAME);
        long self = ProcessHandle.current().pid();
        synchronized (HELD) {
            if (HELD.contains(real)) {
                throw alreadyOpenHere(real, lockFile, self);
            }
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            boolean ok = false;
            try {
                FileLock lock = tryLock(ch, real, lockFile, self);
                if (lock == null) {
                    Owner owner = Owner.read(ch);
                    throw new StoreLockedException(real, owner.pid(), "store " + real + " is locked by "
                            + owner.describe() + " (LOCK file " + lockFile + "); close that process first");
                }
                Owner.self(self).write(ch);
                HELD.add(real);
                ok = true;
                return new StoreLock(real, ch, lock);
            } finally {
                if (!ok) {
                    ch.close();
                }
            }
        }
    }

    private static FileLock tryLock(FileChannel ch, Path real, Path lockFile, long self) throws IOException {
        for (int attempt = 1; ; attempt++) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                // Locked through some other channel of this JVM, outside this class.
                throw alreadyOpenHere(real, lockFile, self);
            }
            if (lock != null || attempt == ACQUIRE_ATTEMPTS) {
                return lock;
            }
            try {
                Thread.sleep(ACQUIRE_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private static StoreLockedException alreadyOpenHere(Path real, Path lockFile, long self) {
        return new StoreLockedException(real, self, "store " + real + " is already open in this process (pid "
                + self + ", LOCK file " + lockFile + "); close the existing store before opening it again");
    }

    /**
     * The PID of the live holder of {@code dir}'s lock, without taking it: empty if nobody holds
     * it (or there is no LOCK file), this process's PID if this process holds it, and -1 if it is
     * held but the file does not (yet) name the owner. fsck uses it to refuse to run on an open
     * store. The holder may be on another host; the PID is the one it recorded.
     */
    public static Optional<Long> holder(Path dir) throws IOException {
        Path real = dir.toRealPath();
        Path lockFile = real.resolve(FILE_NAME);
        synchronized (HELD) {
            if (HELD.contains(real)) {
                return Optional.of(ProcessHandle.current().pid());
            }
            if (!Files.exists(lockFile)) {
                return Optional.empty();
            }
            // A shared lock needs only read access, so fsck can look as another user.
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ)) {
                FileLock probe;
                try {
                    probe = ch.tryLock(0, Long.MAX_VALUE, true);
                } catch (OverlappingFileLockException e) {
                    return Optional.of(ProcessHandle.current().pid());
                }
                if (probe == null) {
                    return Optional.of(Owner.read(ch).pid());
                }
                probe.release();
                return Optional.empty();
            }
        }
    }

    /** The locked store directory (its real path). */
    public Path directory() {
        return dir;
    }

    /** Releases the lock and closes the file; the LOCK file stays. Idempotent. */
    @Override
    public void close() throws IOException {
        synchronized (HELD) {
            if (closed) {
                return;
            }
            closed = true;
            try (channel) {
                lock.release();
            } finally {
                HELD.remove(dir);
            }
        }
    }

    @Override
    public String toString() {
        return "StoreLock[" + dir + "]";
    }

    /** The LOCK file's text: {@code pid=<pid>\nhost=<host>\n}. */
    private record Owner(long pid, String host) {

        static Owner self(long pid) {
            return new Owner(pid, hostName());
        }

        /** Parses what is there; missing or garbled fields become pid -1 / host null. */
        static Owner read(FileChannel ch) throws IOException {
            long size = Math.min(ch.size(), 4096);
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
                // keep reading until full or end of file
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            long pid = -1;
            String host = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("pid=")) {
                    try {
                        pid = Long.parseLong(line.substring(4).trim());
                    } catch (NumberFormatException e) {
                        pid = -1;
                    }
                } else if (line.startsWith("host=")) {
                    host = line.substring(5).trim();
                }
            }
            return new Owner(pid, host);
        }

        void write(FileChannel ch) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(("pid=" + pid + "\nhost=" + host + "\n").getBytes(StandardCharsets.UTF_8));
            ch.truncate(0);
            while (buf.hasRemaining()) {
                ch.write(buf, buf.position());
            }
            ch.force(false);
        }

        String describe() {
            String who = pid < 0 ? "an unknown process (LOCK file names no pid yet)" : "pid " + pid;
            return host == null || host.isEmpty() ? who : who + " on host " + host;
        }

        /** The kernel's host name; avoids a DNS lookup where /proc is available. */
        private static String hostName() {
            try {
                return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            } catch (IOException | RuntimeException e) {
                try {
                    return InetAddress.getLocalHost().getHostName();
                } catch (IOException e2) {
                    return "unknown";
                }
            }
        }
    }
}
