package io.spillway.index;

import io.spillway.segments.RecordKey;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An exact in-memory set of the indexed keys, mirrored from the {@code blocks} column family,
 * so that {@code lookup} and {@code lookupPrefix} (called by a scheduler for every request, with
 * hundreds of keys) cost a hash probe per key instead of a RocksDB read.
 *
 * <p>Why: a RocksDB point read from the block cache costs about 2.5 us per key on a small VM
 * (filter, index and data block lookups, each through the LRU cache's shard mutex), so a
 * 1000-key prefix took 2 to 4 ms; a probe here is well under 0.1 us. RocksDB stays the source
 * of truth: this set is rebuilt from it at open and changed only after RocksDB accepted a write.
 *
 * <p>Layout: open addressing with linear probing over a {@code long[]} of 4 words per slot (the
 * full 32-byte key, so there are no false positives), load factor at most 1/2, backward-shift
 * deletion (no tombstones). The all-zero key marks an empty slot and is tracked by a flag. The
 * hash is the key's first word mixed with a per-process seed, so chosen keys cannot flood one
 * probe chain. About 64 bytes per key: 64 MiB for a million blocks (a million 2 MiB blocks are
 * 2 TiB of KV). Readers share a lock; writers take it exclusively, briefly.
 */
final class KeyTable {

    private static final int MIN_CAPACITY = 1 << 10;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final long seed = ThreadLocalRandom.current().nextLong() | 1;
    private long[] words;
    private int mask;
    private int size;
    private boolean hasZeroKey;

    KeyTable() {
        allocate(MIN_CAPACITY);
    }

    private void allocate(int capacity) {
        words = new long[capacity * 4];
        mask = capacity - 1;
    }

    int size() {
        lock.readLock().lock();
        try {
            return size + (hasZeroKey ? 1 : 0);
        } finally {
            lock.readLock().unlock();
        }
    }

    boolean contains(RecordKey key) {
        lock.readLock().lock();
        try {
            return find(key) >= 0;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** How many leading keys are present. */
    int leading(List<? extends RecordKey> keys) {
        lock.readLock().lock();
        try {
            int n = 0;
            while (n < keys.size() && find(keys.get(n)) >= 0) {
                n++;
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Presence of each key. */
    boolean[] containsAll(List<? extends RecordKey> keys) {
        boolean[] out = new boolean[keys.size()];
        lock.readLock().lock();
        try {
            for (int i = 0; i < out.length; i++) {
                out[i] = find(keys.get(i)) >= 0;
            }
        } finally {
            lock.readLock().unlock();
        }
        return out;
    }

    /**
     * Sizes the table for {@code expected} keys at once, so a bulk load never rehashes. Only
     * before the table is shared (the index's open).
     */
    void reserve(long expected) {
        long capacity = MIN_CAPACITY;
        while (capacity < 2 * expected && capacity < (1 << 28)) {
            capacity <<= 1;
        }
        if (capacity > mask + 1L && size == 0 && !hasZeroKey) {
            allocate((int) capacity);
        }
    }

    /** Adds one key while loading: no lock, no change map. Only before the table is shared. */
    void load(RecordKey key) {
        add(key);
    }

    /** Applies a committed batch's final state per key (true: present), atomically for readers. */
    void apply(Map<RecordKey, Boolean> changes) {
        if (changes.isEmpty()) {
            return;
        }
        lock.writeLock().lock();
        try {
            changes.forEach((k, present) -> {
                if (present) {
                    add(k);
                } else {
                    remove(k);
                }
            });
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static boolean isZero(RecordKey k) {
        return k.word(0) == 0 && k.word(1) == 0 && k.word(2) == 0 && k.word(3) == 0;
    }

    private int home(RecordKey k) {
        long h = (k.word(0) ^ seed) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    /** The slot holding {@code k}, or -1. Caller holds a lock. */
    private int find(RecordKey k) {
        if (isZero(k)) {
            return hasZeroKey ? Integer.MAX_VALUE : -1;
        }
        long w0 = k.word(0);
        long w1 = k.word(1);
        long w2 = k.word(2);
        long w3 = k.word(3);
        for (int s = home(k); ; s = (s + 1) & mask) {
            int b = s * 4;
            long a = words[b];
            if (a == w0 && words[b + 1] == w1 && words[b + 2] == w2 && words[b + 3] == w3) {
                return s;
            }
            if (a == 0 && words[b + 1] == 0 && words[b + 2] == 0 && words[b + 3] == 0) {
                return -1;
            }
        }
    }

    private void add(RecordKey k) {
        if (isZero(k)) {
            hasZeroKey = true;
            return;
        }
        if (find(k) >= 0) {
            return;
        }
        if ((size + 1) * 2L > mask + 1L) {
            grow();
        }
        int s = home(k);
        while (!emptyAt(s)) {
            s = (s + 1) & mask;
        }
        put(s, k.word(0), k.word(1), k.word(2), k.word(3));
        size++;
    }

    private void remove(RecordKey k) {
        if (isZero(k)) {
            hasZeroKey = false;
            return;
        }
        int s = find(k);
        if (s < 0) {
            return;
        }
        // Backward-shift deletion: pull later members of the probe run into the hole when their
        // home position allows, so lookups never need tombstones.
        int hole = s;
        for (int j = (hole + 1) & mask; !emptyAt(j); j = (j + 1) & mask) {
            int h = homeOfSlot(j);
            boolean movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
            if (movable) {
                System.arraycopy(words, j * 4, words, hole * 4, 4);
                hole = j;
            }
        }
        put(hole, 0, 0, 0, 0);
        size--;
    }

    private int homeOfSlot(int s) {
        long h = (words[s * 4] ^ seed) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    private boolean emptyAt(int s) {
        int b = s * 4;
        return words[b] == 0 && words[b + 1] == 0 && words[b + 2] == 0 && words[b + 3] == 0;
    }

    private void put(int s, long w0, long w1, long w2, long w3) {
        int b = s * 4;
        words[b] = w0;
        words[b + 1] = w1;
        words[b + 2] = w2;
        words[b + 3] = w3;
    }

    private void grow() {
        long[] old = words;
        int oldCapacity = mask + 1;
        if (oldCapacity > (1 << 28)) {
            throw new IllegalStateException("key table full: " + size + " keys");
        }
        allocate(oldCapacity * 2);
        for (int s = 0; s < oldCapacity; s++) {
            int b = s * 4;
            if (old[b] == 0 && old[b + 1] == 0 && old[b + 2] == 0 && old[b + 3] == 0) {
                continue;
            }
            long h = (old[b] ^ seed) * 0x9E3779B97F4A7C15L;
            int t = (int) (h >>> 32) & mask;
            while (!emptyAt(t)) {
                t = (t + 1) & mask;
            }
            put(t, old[b], old[b + 1], old[b + 2], old[b + 3]);
        }
    }
}
