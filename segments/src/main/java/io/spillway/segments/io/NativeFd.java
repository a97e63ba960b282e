package io.spillway.segments.io;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file descriptor that cannot be closed under a call in flight.
 *
 * <p>Why: descriptor numbers are reused at once. If {@code close(2)} ran while another thread
 * was about to {@code pwrite} with the same number, and a third thread opened a file meanwhile,
 * the write would land in the wrong file: exactly the wrong-bytes failure the store must never
 * have. So every call holds a reference; {@link #close()} drops the owner's reference, and the
 * descriptor is closed by whoever releases the last one.
 */
final class NativeFd {

    private static final Logger LOG = LoggerFactory.getLogger(NativeFd.class);

    private final int fd;
    private final Path path;
    /** 1 for the owner plus 1 per call in flight; 0 once closed. */
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean closing = new AtomicBoolean();

    NativeFd(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /** Takes a reference for one call; pair with {@link #release()} in a finally block. */
    int acquire() throws IOException {
        while (true) {
            int r = refs.get();
            if (r == 0 || closing.get()) {
                throw closed();
            }
            if (refs.compareAndSet(r, r + 1)) {
                return fd;
            }
        }
    }

    /** Drops a call's reference; closes the descriptor if {@link #close()} already ran. */
    void release() {
        if (refs.decrementAndGet() == 0) {
            try {
                LinuxSyscalls.close(fd, path);
            } catch (IOException e) {
                // The caller's own call already succeeded or failed on its merits; report here.
                LOG.warn("deferred close of {} failed", path, e);
            }
        }
    }

    /** Closes now, or as soon as the calls in flight finish. Idempotent. */
    void close() throws IOException {
        if (closing.compareAndSet(false, true) && refs.decrementAndGet() == 0) {
            LinuxSyscalls.close(fd, path);
        }
    }

    private ClosedChannelException closed() {
        ClosedChannelException e = new ClosedChannelException();
        e.initCause(new IOException(path + " is closed"));
        return e;
    }
}
