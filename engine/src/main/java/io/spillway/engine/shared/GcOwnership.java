package io.spillway.engine.shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store-level GC lease: one GC owner at a time keeps the shared capacity (UCM PR #1237: every
 * instance on one NFS backend running its own GC evicted far too much).
 *
 * <p>Protocol, run each refresh by every writer (read-only openers never own the GC):
 * <ol>
 *   <li>List {@code gc/}: the current owner is the one named in the highest {@code
 *       owner.<epoch>} file (16 hex digits, so names sort).
 *   <li>If it is this writer: renew {@code gc/lease} (a counter, rewritten and synced). This
 *       writer's GC may evict while its last renewal is younger than half of {@code
 *       lease_timeout} ({@link Lease#freshFor}): a paused owner stops evicting before anyone
 *       may take over.
 *   <li>Otherwise watch {@code gc/lease}: when there is no owner yet, or the lease has not moved
 *       for {@code lease_timeout} by this process's monotonic clock, create {@code
 *       owner.<epoch+1>} exclusively. Exactly one contender's create succeeds; it renews the
 *       lease at once and owns the GC from then on.
 *   <li>An owner that finds a higher epoch than its own (it was paused, and replaced) stops
 *       evicting at once.
 * </ol>
 * Two owners can overlap only by a pass already running when the old owner stalled; eviction is
 * by rename, so the slower of two evicting one segment fails its rename (an error logged, a
 * retry next pass), never a wrong byte.
 */
final class GcOwnership {

    private static final Logger LOG = LoggerFactory.getLogger(GcOwnership.class);

    private final Path dir;
    private final String self;
    private final long timeoutNanos;
    private final Lease lease;
    private final Lease.Watch watch = new Lease.Watch();
    private volatile long ownEpoch = -1;

    GcOwnership(Path firstBackend, String self, long timeoutNanos) throws IOException {
        this.dir = Layout.gcDir(firstBackend);
        this.self = self;
        this.timeoutNanos = timeoutNanos;
        this.lease = new Lease(dir.resolve("lease"));
        Files.createDirectories(dir);
    }

    /** Steps 1 to 4; returns whether this writer owns the GC now. */
    boolean refresh() throws IOException {
        long epoch = -1;
        for (String name : Layout.list(dir)) {
            if (name.matches("owner\\.[0-9a-f]{16}")) {
                epoch = Math.max(epoch, Long.parseUnsignedLong(name.substring(6), 16));
            }
        }
        Optional<String> owner = epoch < 0 ? Optional.empty() : Layout.readSmall(ownerFile(epoch)).map(String::trim);
        if (ownEpoch >= 0 && epoch > ownEpoch) {
            LOG.warn("GC ownership lost to {} (epoch {} > ours {}); this writer stops evicting", owner.orElse("?"), epoch, ownEpoch);
            ownEpoch = -1;
        }
        if (epoch >= 0 && ownEpoch < 0 && owner.isPresent() && owner.get().equals(self)) {
            // This writer owned it before a restart; its id is held by one process at a time (the directory lock).
            ownEpoch = epoch;
        }
        if (epoch >= 0 && epoch == ownEpoch && owner.isPresent() && owner.get().equals(self)) {
            lease.renew();
            return true;
        }
        if (epoch < 0 || watch.stillFor(lease.file()) >= timeoutNanos) {
            long next = epoch + 1;
            if (Layout.createExclusive(ownerFile(next), self + "\n")) {
                ownEpoch = next;
                lease.renew();
                LOG.info("GC owner now: writer {} (epoch {}, previous owner {})", self, next, owner.orElse("none"));
                return true;
            }
        }
        return false;
    }

    /** Whether this writer may evict now: it owns the GC and renewed the lease within half the timeout. */
    boolean mayEvict() {
        return ownEpoch >= 0 && lease.freshFor(timeoutNanos / 2);
    }

    /** The current owner's name, for inspect; empty when none. */
    static Optional<String> owner(Path firstBackend) throws IOException {
        Path d = Layout.gcDir(firstBackend);
        String best = null;
        for (String name : Layout.list(d)) {
            if (name.matches("owner\\.[0-9a-f]{16}") && (best == null || name.compareTo(best) > 0)) {
                best = name;
            }
        }
        return best == null ? Optional.empty() : Layout.readSmall(d.resolve(best)).map(String::trim);
    }

    private Path ownerFile(long epoch) {
        return dir.resolve(String.format("owner.%016x", epoch));
    }
}
