package io.spillway.engine.cache;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.io.PosixFileIO;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import org.junit.jupiter.api.Test;

/**
 * A segment lock held by someone else (here a second mapping of the file, as another process
 * would have; a dead process's lock looks the same) makes index operations fail within the lock
 * timeout instead of spinning for Chronicle's 60 s.
 */
class CacheIndexLockTest {

    @Test
    void aHeldSegmentLockIsATimelyErrorNotAHang() throws Exception {
        try (ShmDirectory shm = new ShmDirectory()) {
            Path file = CacheIndex.path(shm.path(), 1);
            byte[] key = new byte[32];
            key[0] = 42;
            try (CacheIndex index = CacheIndex.create(file, 64, Duration.ofMillis(100), new PosixFileIO(false, 4096));
                 ChronicleMap<byte[], byte[]> other = ChronicleMap.of(byte[].class, byte[].class).name("spillway-cache-index")
                         .constantKeySizeBySample(new byte[32]).constantValueSizeBySample(new byte[IndexEntry.BYTES])
                         .entries(1024).maxBloatFactor(2.0).createPersistedTo(file.toFile())) {
                CountDownLatch held = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                Thread holder = Thread.ofPlatform().start(() -> {
                    try (ExternalMapQueryContext<byte[], byte[], ?> c = other.queryContext(key)) {
                        c.writeLock().lock();
                        held.countDown();
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertTrue(held.await(30, TimeUnit.SECONDS));
                long t0 = System.nanoTime();
                assertThrows(IndexUnavailableException.class, () -> index.get(key));
                assertThrows(IndexUnavailableException.class,
                        () -> index.put(key, new IndexEntry(0, 4096, 1, SlotState.CLEAN, 2, 0)));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 5_000, "two operations took " + ms + " ms; each should wait about 100 ms");
                release.countDown();
                holder.join(10_000);
                index.put(key, new IndexEntry(0, 4096, 1, SlotState.CLEAN, 2, 0));
                assertTrue(index.get(key).entry() != null, "the lock is free again");
            }
        }
    }
}
