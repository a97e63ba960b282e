package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.index.MetaKeys;
import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store's counters over its whole life: this session's meters plus what earlier sessions
 * left in the index ({@link MetaKeys#counter}). A counter's earlier value is read the first time
 * it is asked for, so that meters registered after the open (the GC's) count from their lifetime
 * values too, and written in the close's synced batch; a crash loses the session's counts, never
 * anything else.
 */
final class LifetimeCounters {

    private final BlockIndex index;
    /** What earlier sessions counted, by counter name, as read so far. */
    private final Map<String, Long> base = new ConcurrentHashMap<>();

    private LifetimeCounters(BlockIndex index) {
        this.index = index;
    }

    /** Reads the persisted value of each counter in {@code names} now (0 for one never persisted); others on first use. */
    static LifetimeCounters load(BlockIndex index, Collection<String> names) throws IOException {
        LifetimeCounters c = new LifetimeCounters(index);
        for (String name : names) {
            c.earlier(name);
        }
        return c;
    }

    /** The lifetime values: each of {@code session}'s counts plus what earlier sessions counted. */
    Map<String, Long> totals(Map<String, Long> session) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : session.entrySet()) {
            out.put(e.getKey(), e.getValue() + earlier(e.getKey()));
        }
        return out;
    }

    /** Adds the lifetime values to {@code batch}, for the next session to start from. */
    void persist(BlockIndex.Batch batch, Map<String, Long> session) throws IOException {
        for (Map.Entry<String, Long> e : totals(session).entrySet()) {
            batch.putMeta(MetaKeys.counter(e.getKey()), e.getValue());
        }
    }

    private long earlier(String name) throws IOException {
        Long known = base.get(name);
        if (known != null) {
            return known;
        }
        long v = index.getMeta(MetaKeys.counter(name)).orElse(0L);
        base.putIfAbsent(name, v);
        return v;
    }
}
