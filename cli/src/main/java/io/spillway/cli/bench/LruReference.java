package io.spillway.cli.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An exact LRU cache of block keys, simulated in memory: the reference a segment-evicting store
 * is compared against. It sees the same requests with the same prefix semantics: a request hits
 * the leading blocks present, and the rest are recomputed and inserted.
 */
public final class LruReference<K> {

    private final LinkedHashMap<K, Boolean> blocks;
    private long hits;
    private long lookedUp;

    public LruReference(int capacityBlocks) {
        this.blocks = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                return size() > capacityBlocks;
            }
        };
    }

    /** Serves one request's chain; returns its leading hits. */
    public int request(List<K> chain) {
        int n = 0;
        while (n < chain.size() && blocks.get(chain.get(n)) != null) {
            n++; // get() makes it most recently used
        }
        for (int i = n; i < chain.size(); i++) {
            blocks.put(chain.get(i), Boolean.TRUE);
        }
        hits += n;
        lookedUp += chain.size();
        return n;
    }

    public double hitRatio() {
        return lookedUp == 0 ? 0 : (double) hits / lookedUp;
    }
}
