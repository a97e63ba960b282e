package io.spillway.engine;

import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;

/**
 * What the store's worker threads share.
 *
 * @param durability what {@code config.durability()} decides for the write path
 * @param capacityBytes the resolved {@code capacity} ({@link Long#MAX_VALUE} when unlimited): no
 *     new segment is started once the space used ({@code space}) plus one segment would exceed it
 * @param space the space the store takes, as the capacity counts it (segments, index, commit log)
 */
record StoreContext(StoreConfig config, DurabilityPolicy durability, BlockIndex index, SegmentCatalog catalog,
                    SegmentIds segmentIds, Publisher publisher, StoreMetrics metrics, long capacityBytes, SpaceUsage space) {

    int alignment() {
        return (int) config.alignment().bytes();
    }

    long segmentSize() {
        return config.segmentSize().bytes();
    }

    long writeGroupSize() {
        return config.writeGroupSize().bytes();
    }
}
