package io.spillway.engine.config;

/** {@code store_pipeline}: which tiers a store has, in seed 002's spelling. */
public enum StorePipeline {
    /** The segment store alone. */
    DISK("Disk"),
    /** The host DRAM tier in front of the segment store, written back to it. */
    CACHE_DISK("Cache|Disk"),
    /** The host DRAM tier alone: a pure host cache, lost with a reboot. */
    CACHE("Cache");

    private final String configName;

    StorePipeline(String configName) {
        this.configName = configName;
    }

    /** The spelling of config files ("Cache|Disk"), which the key reads back. */
    public String configName() {
        return configName;
    }

    /** Whether the store has the DRAM tier. */
    public boolean hasCache() {
        return this != DISK;
    }
}
