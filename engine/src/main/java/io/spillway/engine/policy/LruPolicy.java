package io.spillway.engine.policy;

import java.util.LinkedHashMap;

/** Evicts the least recently read (or admitted) item first. */
public final class LruPolicy<K> extends OrderedPolicy<K> {

    /** Access order: a touch moves an item to the tail, the head is the coldest. */
    private final LinkedHashMap<K, Boolean> order;

    public LruPolicy() {
        this(new LinkedHashMap<>(16, 0.75f, true));
    }

    /** The base walks and removes through the key set: neither counts as an access. */
    private LruPolicy(LinkedHashMap<K, Boolean> order) {
        super(order.sequencedKeySet());
        this.order = order;
    }

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
}
