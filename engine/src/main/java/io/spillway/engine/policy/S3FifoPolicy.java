package io.spillway.engine.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SequencedSet;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023): three FIFO
 * queues and a 2-bit read counter per item, no list reordering on a hit (so a hit costs a counter
 * increment, not a lock-protected move as in LRU).
 *
 * <ul>
 *   <li><b>Small</b> (about 10% of the capacity) takes new items. When an item reaches its head,
 *       it moves to main if it was read at least {@code moveToMainHits} times since it arrived,
 *       and is evicted otherwise: one-hit wonders leave quickly.
 *   <li><b>Main</b> is a FIFO with reinsertion (CLOCK): an item at its head with a non-zero counter
 *       is moved to the tail with its counter decremented; one with a zero counter is evicted.
 *   <li><b>Ghost</b> remembers the keys (only) of items evicted from small, up to the capacity; an
 *       admitted item found there goes straight to main.
 * </ul>
 *
 * <p>Fitting {@link EvictionPolicy}: {@link #victim} applies the queue moves above as it looks
 * (they change only the order), never removes anything, and skips items the caller's predicate
 * refuses (dirty or pinned blocks), which keep their place. An item is evicted when the caller
 * {@link #remove removes} the victim it was just given; only then does it enter the ghost queue (a
 * delete of another item does not). Not thread-safe; the owner serialises calls.
 *
 * @param <K> the item's identity: a block key, so that the ghost queue means something
 */
public final class S3FifoPolicy<K> implements EvictionPolicy<K> {

    /** The paper's threshold: read more than once while in small. */
    public static final int DEFAULT_MOVE_TO_MAIN_HITS = 2;
    private static final int MAX_FREQ = 3;

    private final int smallTarget;
    private final int ghostCapacity;
    private final int moveToMainHits;
    private final SequencedSet<K> small = new LinkedHashSet<>();
    private final SequencedSet<K> main = new LinkedHashSet<>();
    private final SequencedSet<K> ghost = new LinkedHashSet<>();
    private final Map<K, Integer> freq = new HashMap<>();
    private K lastVictim;

    /** @param capacity the most items the cache holds (its slot count) */
    public S3FifoPolicy(int capacity) {
        this(capacity, DEFAULT_MOVE_TO_MAIN_HITS);
    }

    public S3FifoPolicy(int capacity, int moveToMainHits) {
        if (capacity < 1 || moveToMainHits < 1 || moveToMainHits > MAX_FREQ) {
            throw new IllegalArgumentException("need capacity >= 1 and 1 <= moveToMainHits <= 3, got " + capacity + ", "
                    + moveToMainHits);
        }
        this.smallTarget = Math.max(1, capacity / 10);
        this.ghostCapacity = capacity;
        this.moveToMainHits = moveToMainHits;
    }

    @Override
    public void admit(K item) {
        if (freq.containsKey(item)) {
            return;
        }
        freq.put(item, 0);
        if (ghost.remove(item)) {
            main.add(item);
        } else {
            small.add(item);
        }
    }

    @Override
    public void touch(K item) {
        freq.computeIfPresent(item, (k, f) -> Math.min(MAX_FREQ, f + 1));
    }

    @Override
    public void remove(K item) {
        if (freq.remove(item) == null) {
            return;
        }
        boolean wasSmall = small.remove(item);
        main.remove(item);
        if (wasSmall && item.equals(lastVictim)) {
            ghost.add(item);
            if (ghost.size() > ghostCapacity) {
                ghost.removeFirst();
            }
        }
        if (item.equals(lastVictim)) {
            lastVictim = null;
        }
    }

    @Override
    public K victim(Predicate<? super K> evictable) {
        K v = null;
        if (small.size() >= smallTarget || main.isEmpty()) {
            v = fromSmall(evictable, true);
        }
        if (v == null) {
            v = fromMain(evictable);
        }
        if (v == null) {
            v = fromSmall(evictable, false);
        }
        lastVictim = v;
        return v;
    }

    /** The first evictable one-hit item of small; items read often enough move to main as they are passed. */
    private K fromSmall(Predicate<? super K> evictable, boolean promote) {
        return scan(small, k -> promote && freq.get(k) >= moveToMainHits, evictable, k -> {
            small.remove(k);
            main.add(k);
            freq.put(k, 0);
        });
    }

    /** CLOCK over main: read items go to the tail with one read less, the first unread evictable item is the victim. */
    private K fromMain(Predicate<? super K> evictable) {
        for (int pass = 0; pass <= MAX_FREQ && !main.isEmpty(); pass++) {
            K found = scan(main, this::spendRead, evictable, k -> {
                main.remove(k);
                main.add(k);
            });
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** Takes one read off {@code k}'s counter; false if it has none left. */
    private boolean spendRead(K k) {
        int f = freq.get(k);
        if (f == 0) {
            return false;
        }
        freq.put(k, f - 1);
        return true;
    }

    /**
     * The first evictable item of {@code queue} not passed over ({@code passOver} may update the
     * counter of an item it passes over). The items passed over go to {@code move} after the scan:
     * the queue cannot change under its iterator.
     */
    private K scan(SequencedSet<K> queue, Predicate<K> passOver, Predicate<? super K> evictable, Consumer<K> move) {
        List<K> passed = new ArrayList<>();
        K found = null;
        for (K k : queue) {
            if (passOver.test(k)) {
                passed.add(k);
            } else if (evictable.test(k)) {
                found = k;
                break;
            }
        }
        passed.forEach(move);
        return found;
    }

    @Override
    public int size() {
        return freq.size();
    }

    /** Items in the small queue (for tests). */
    int smallSize() {
        return small.size();
    }

    /** Keys remembered in the ghost queue (for tests). */
    int ghostSize() {
        return ghost.size();
    }
}
