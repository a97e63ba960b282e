package io.spillway.engine.policy;

import java.util.SequencedSet;
import java.util.function.Predicate;

/**
 * An {@link EvictionPolicy} that keeps its items in one ordered set whose head is the next
 * victim; subclasses decide only what admitting and touching do to the order (FIFO: admission
 * order, reads change nothing; LRU: access order).
 */
abstract class OrderedPolicy<K> implements EvictionPolicy<K> {

    private final SequencedSet<K> order;

    /** @param order the resident items, head first; the subclass may keep a view of it (a map's key set) */
    OrderedPolicy(SequencedSet<K> order) {
        this.order = order;
    }

    @Override
    public void remove(K item) {
        order.remove(item);
    }

    @Override
    public K victim(Predicate<? super K> evictable) {
        for (K k : order) {
            if (evictable.test(k)) {
                return k;
            }
        }
        return null;
    }

    @Override
    public int size() {
        return order.size();
    }
}
