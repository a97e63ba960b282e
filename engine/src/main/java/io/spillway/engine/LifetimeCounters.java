package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The store's counters over its whole life: this session's meters plus what earlier sessions
 * left in the index ({@link MetaKeys#counter}). Read once at open, written once at close, in the
 * close's synced batch; a crash loses the session's counts, never anything else.
 */
final class LifetimeCounters {

    /** What earlier sessions counted, by counter name. */
    private final Map<String, Long> base;

    private LifetimeCounters(Map<String, Long> base) {
        this.base = base;
    }

    /** Reads the persisted value of each counter in {@code names} (0 for one never persisted). */
    static LifetimeCounters load(BlockIndex index, Collection<String> names) throws IOException {
        Map<String, Long> base = new LinkedHashMap<>();
        for (String name : names) {
            base.put(name, index.getMeta(MetaKeys.counter(name)).orElse(0L));
        }
        return new LifetimeCounters(base);
    }

    /** The lifetime values: each of {@code session}'s counts plus what earlier sessions counted. */
    Map<String, Long> totals(Map<String, Long> session) {
        Map<String, Long> out = new LinkedHashMap<>();
        session.forEach((name, v) -> out.put(name, v + base.getOrDefault(name, 0L)));
        return out;
    }

    /** Adds the lifetime values to {@code batch}, for the next session to start from. */
    void persist(BlockIndex.Batch batch, Map<String, Long> session) throws IOException {
        for (Map.Entry<String, Long> e : totals(session).entrySet()) {
            batch.putMeta(MetaKeys.counter(e.getKey()), e.getValue());
        }
    }
}
