package io.spillway.engine.shared;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A lease: a counter in a file that its holder rewrites and syncs every refresh, and that others
 * watch. Never a wall clock: hosts' clocks disagree, so an observer only asks "has the value
 * changed in the last {@code lease_timeout}, by my own monotonic clock?".
 *
 * <p>The holder also keeps its own view: {@link #freshFor} says whether its last successful
 * renewal is recent enough to act on the lease (half the timeout), so a holder paused for longer
 * than that (a long GC pause, a hung mount) stops acting before any observer can decide it is
 * dead: the observer waits a whole timeout from when it saw the last change, which came after the
 * renewal the holder counts from.
 */
final class Lease {

    private final Path file;
    private long counter;
    private volatile long renewedNanos = Long.MIN_VALUE;

    Lease(Path file) {
        this.file = file;
    }

    /** Writes the next counter value (fixed width, so a concurrent read sees a value, old or new) and syncs it. */
    void renew() throws IOException {
        counter++;
        ByteBuffer b = ByteBuffer.wrap(String.format("%020d\n", counter).getBytes(StandardCharsets.US_ASCII));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            while (b.hasRemaining()) {
                ch.write(b, b.position());
            }
            ch.force(false);
        }
        renewedNanos = System.nanoTime();
    }

    /** Whether the last renewal succeeded within {@code nanos} (monotonic). */
    boolean freshFor(long nanos) {
        long r = renewedNanos;
        return r != Long.MIN_VALUE && System.nanoTime() - r < nanos;
    }

    Path file() {
        return file;
    }

    /** The value in a lease file, empty if there is none. */
    static Optional<String> read(Path file) throws IOException {
        try {
            return Layout.readSmall(file).map(String::trim);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * An observer's view of many leases: when each value last changed, by this process's
     * monotonic clock. Not thread-safe (the maintenance thread's).
     */
    static final class Watch {
        private record Seen(String value, long sinceNanos) {
        }

        private final Map<Path, Seen> seen = new HashMap<>();

        /**
         * Reads the lease and returns for how long (ns) it has not changed; 0 at the first look
         * or a change. A missing file counts as a value (a writer that died before its first
         * renewal is adopted too).
         */
        long stillFor(Path lease) throws IOException {
            String v = read(lease).orElse("");
            long now = System.nanoTime();
            Seen s = seen.get(lease);
            if (s == null || !s.value().equals(v)) {
                seen.put(lease, new Seen(v, now));
                return 0;
            }
            return now - s.sinceNanos();
        }

        void forget(Path lease) {
            seen.remove(lease);
        }
    }
}
