package io.spillway.engine.policy;

import java.util.LinkedHashSet;
import java.util.SequencedSet;
import java.util.function.Predicate;

/** Evicts in admission order, oldest first; reads change nothing. */
public final class FifoPolicy<K> implements EvictionPolicy<K> {

    private final SequencedSet<K> order = new LinkedHashSet<>();

    @Override
    public void admit(K item) {
        order.add(item);
    }

    @Override
    public void touch(K item) {
        // FIFO ignores reads: that is what keeps its write amplification at 1.
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
