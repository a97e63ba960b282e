package io.spillway.engine.policy;

import java.util.LinkedHashSet;
import java.util.SequencedSet;

/** Evicts in admission order, oldest first; reads change nothing. */
public final class FifoPolicy<K> extends OrderedPolicy<K> {

    private final SequencedSet<K> order;

    public FifoPolicy() {
        this(new LinkedHashSet<>());
    }

    private FifoPolicy(SequencedSet<K> order) {
        super(order);
        this.order = order;
    }

    @Override
    public void admit(K item) {
        order.add(item);
    }

    @Override
    public void touch(K item) {
        // FIFO ignores reads: that is what keeps its write amplification at 1.
    }
}
