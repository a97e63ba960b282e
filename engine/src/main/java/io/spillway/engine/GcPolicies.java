package io.spillway.engine;

import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.policy.EvictionPolicy;
import io.spillway.engine.policy.FifoPolicy;
import io.spillway.engine.policy.HitsReinsertion;
import io.spillway.engine.policy.LruPolicy;
import io.spillway.engine.policy.ReinsertionPolicy;

/** The GC's policies as the configuration chooses them: the one place config keys become policy objects. */
final class GcPolicies {

    private GcPolicies() {
    }

    /** {@code eviction_policy}: the order in which whole segments (by id) are evicted. */
    static EvictionPolicy<Long> eviction(StoreConfig config) {
        return switch (config.evictionPolicy()) {
            case FIFO -> new FifoPolicy<>();
            case LRU -> new LruPolicy<>();
        };
    }

    /**
     * {@code reinsert_hits} and {@code reinsert_budget_percent}: which blocks of a segment
     * evicted for capacity are copied forward; the budget is a share of the payload bytes users
     * have dumped in this session ({@code spillway.dump.bytes}).
     */
    static ReinsertionPolicy reinsertion(StoreConfig config, StoreMetrics metrics) {
        return new HitsReinsertion(config.reinsertHits(), config.reinsertBudgetPercent(), () -> (long) metrics.dumpBytes.count());
    }
}
