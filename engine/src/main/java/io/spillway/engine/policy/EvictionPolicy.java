package io.spillway.engine.policy;

import java.util.function.Predicate;

/**
 * Chooses the next resident item to evict: a sealed segment for the segment store's GC, a slot
 * for the DRAM tier. As in CacheLib Navy's BlockCache, the policy orders whole regions and knows
 * nothing of their contents; what is copied forward before an eviction is the {@link
 * ReinsertionPolicy}'s decision.
 *
 * <p>Not thread-safe: the owner (the GC thread, the cache tier under its lock) serialises calls.
 *
 * @param <K> the item's identity (a segment id, a slot number); equal items are one item
 */
public interface EvictionPolicy<K> {

    /** {@code item} became resident and may be evicted from now on. Admitting it again is a no-op. */
    void admit(K item);

    /** {@code item} was read. Unknown items are ignored. */
    void touch(K item);

    /** {@code item} left by other means (deleted, evicted). Unknown items are ignored. */
    void remove(K item);

    /**
     * The item to evict next, without removing it: the first in the policy's order that {@code
     * evictable} accepts (items being written, not yet written back, or pinned by a reader are
     * refused by the caller's predicate and keep their place).
     *
     * @return the victim, or null when no resident item is evictable
     */
    K victim(Predicate<? super K> evictable);

    /** How many items are resident. */
    int size();
}
