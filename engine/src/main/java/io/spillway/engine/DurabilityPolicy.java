package io.spillway.engine;

import io.spillway.engine.config.Durability;

/**
 * What the configured {@code durability} means for the write path: the one place where the mode
 * is turned into decisions, so no component compares the enum itself.
 *
 * <table>
 *   <caption>Decisions per mode</caption>
 *   <tr><th></th><th>none</th><th>batch</th><th>always</th></tr>
 *   <tr><td>{@link #syncsData}</td><td>no</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@link #syncsIndex}</td><td>no</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@link #syncsEachBlock}</td><td>no</td><td>no</td><td>yes</td></tr>
 *   <tr><td>{@link #acknowledgesDurable}</td><td>no</td><td>yes</td><td>yes</td></tr>
 * </table>
 *
 * <p>Whatever the mode, data is written before the index entry that points at it, and is synced
 * before it wherever anything is synced: a weaker mode can lose recent blocks in a crash, never
 * serve wrong bytes.
 *
 * @param syncsData segment data is fdatasynced before its blocks are published (append workers'
 *     groups, the GC's copies)
 * @param syncsIndex index batches are written with a synced WAL; also what enables the commit
 *     log under manual commit (without a synced index nothing is promised to survive a crash)
 * @param syncsEachBlock every block is synced on its own before it is acknowledged: a group holds
 *     one block and the syncer never coalesces groups into one fdatasync
 * @param acknowledgesDurable a block that completes OK (written, or already stored and found by
 *     dedup) is reported durable
 */
record DurabilityPolicy(boolean syncsData, boolean syncsIndex, boolean syncsEachBlock, boolean acknowledgesDurable) {

    /** The decisions of {@code mode}. */
    static DurabilityPolicy of(Durability mode) {
        return switch (mode) {
            case NONE -> new DurabilityPolicy(false, false, false, false);
            case BATCH -> new DurabilityPolicy(true, true, false, true);
            case ALWAYS -> new DurabilityPolicy(true, true, true, true);
        };
    }
}
