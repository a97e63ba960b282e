package io.spillway.index;

/**
 * How to open the index.
 *
 * @param blockCacheBytes RocksDB block cache size; the lookups' working set (index, filter and
 *     data blocks of the {@code blocks} family) should fit, about 60 bytes per key
 * @param createIfMissing create an empty index when the directory holds none (the store's
 *     open); offline tools pass false
 */
public record IndexOptions(long blockCacheBytes, boolean createIfMissing) {

    public static IndexOptions defaults() {
        return new IndexOptions(256L << 20, true);
    }
}
