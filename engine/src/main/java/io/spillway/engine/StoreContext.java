package io.spillway.engine;

import io.spillway.engine.config.StoreConfig;
import io.spillway.index.BlockIndex;

/**
 * What the store's worker threads share.
 *
 * @param durability what {@code config.durability()} decides for the write path
 * @param capacityBytes the resolved {@code capacity} ({@link Long#MAX_VALUE} when unlimited): no
 *     new segment is started once the segments' allocated bytes plus one segment would exceed it
 */
record StoreContext(StoreConfig config, DurabilityPolicy durability, BlockIndex index, SegmentCatalog catalog,
                    SegmentIds segmentIds, Publisher publisher, StoreMetrics metrics, long capacityBytes) {

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
