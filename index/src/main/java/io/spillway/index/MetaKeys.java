package io.spillway.index;

/**
 * The names of the index's metadata values ({@link BlockIndex#getMeta}, {@link
 * BlockIndex.Batch#putMeta}): the one place each is defined. Every value is a {@code long}; an
 * absent one reads as the default given here, which is what a store created before the key
 * existed, or a freshly rebuilt index, must mean by it.
 */
public final class MetaKeys {

    /**
     * The store's alignment in bytes, written at the first open (and by {@code rebuild-index}).
     * An open with another configured alignment is refused: every record's payload offset
     * depends on it. Absent: not yet recorded.
     */
    public static final String ALIGNMENT = "alignment";

    /**
     * The clean-shutdown marker: 1 once a close made everything durable, deleted (synced) by the
     * next open before it changes anything. Present at open: recovery may take its fast path.
     */
    public static final String CLEAN_SHUTDOWN = "clean_shutdown";

    /**
     * The sequence number of the last commit-log record whose commit the index holds. Records
     * above it are applied by recovery. Absent: 0, none.
     */
    public static final String COMMIT_LOG_SEQ = "commit_log_seq";

    /**
     * The next segment id to hand out; ids are a monotonic sequence, never reused. Absent: 1.
     */
    public static final String NEXT_SEGMENT_ID = "next_segment_id";

    /** The prefix of the persisted lifetime value of a store counter; see {@link #counter}. */
    public static final String COUNTER_PREFIX = "counter.";

    private MetaKeys() {
    }

    /**
     * The key of the lifetime value of the store counter {@code name} ({@code dump.blocks}),
     * written at close so that counters survive restarts. Absent: 0.
     */
    public static String counter(String name) {
        return COUNTER_PREFIX + name;
    }
}
