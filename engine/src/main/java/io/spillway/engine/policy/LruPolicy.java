package io.spillway.engine.policy;

import java.util.LinkedHashMap;
import java.util.function.Predicate;

/** Evicts the least recently read (or admitted) item first. */
public final class LruPolicy<K> implements EvictionPolicy<K> {

    /** Access order: a touch moves an item to the tail, the head is the coldest. */
    private final LinkedHashMap<K, Boolean> order = new LinkedHashMap<>(16, 0.75f, true);

    @Override
    public void admit(K item) {
        // Not putIfAbsent: on an access-ordered map that counts as an access and would move an
        // item admitted again to the tail; containsKey does not touch the order.
        if (!order.containsKey(item)) {
            order.put(item, Boolean.TRUE);
        }
    }

    @Override
    public void touch(K item) {
        order.get(item);
    }

    @Override
    public void remove(K item) {
        order.remove(item);
    }

    @Override
    public K victim(Predicate<? super K> evictable) {
        for (K k : order.keySet()) {
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
