package io.spillway.segments.io;

import java.io.IOException;
import java.util.Optional;

/**
 * Opens the {@link ReadQueue} of a store: io_uring where the kernel and the platform allow it,
 * else blocking reads on threads.
 *
 * <p>io_uring is refused in many places where the store must still run: container runtimes'
 * default seccomp profiles return EPERM for {@code io_uring_setup}, {@code kernel.io_uring_disabled}
 * does the same, kernels before 5.1 return ENOSYS, and before 5.6 a ring cannot read. Each of
 * these falls back to {@link ThreadedReadQueue} with the reason, which the caller logs.
 */
public final class ReadQueues {

    /** The queue, and why it is not io_uring when io_uring was wanted and refused. */
    public record Opened(ReadQueue queue, Optional<String> ioUringRefused) {
    }

    /** How an io_uring queue is made; tests substitute one that is refused. */
    @FunctionalInterface
    interface RingOpener {
        ReadQueue open(int depth, String name) throws IOException;
    }

    private ReadQueues() {
    }

    /**
     * @param ioUring try io_uring first; false goes straight to threads
     * @param depth   reads in flight (1 to 4096)
     * @param name    prefix of the queue's thread names
     */
    public static Opened open(boolean ioUring, int depth, String name) {
        return open(ioUring, depth, name, IoUringQueue::open);
    }

    static Opened open(boolean ioUring, int depth, String name, RingOpener opener) {
        if (depth < 1 || depth > 4096) {
            throw new IllegalArgumentException("read queue depth must be 1 to 4096, got " + depth);
        }
        if (!ioUring) {
            return new Opened(new ThreadedReadQueue(depth, name), Optional.empty());
        }
        String why;
        try {
            return new Opened(opener.open(depth, name), Optional.empty());
        } catch (IOException | UnsupportedOperationException e) {
            why = e.getMessage();
        }
        return new Opened(new ThreadedReadQueue(depth, name), Optional.of(why));
    }
}
