package io.spillway.engine.cache;

/**
 * The life of a slot, as written in its header (and, for the cached states, in its index entry).
 * <pre>
 *   FREE ──► WRITING ──► DIRTY ──write-back──► CLEAN ──► EVICTING ──► FREE
 *                  └───► CLEAN (cache only, or a promotion of a block the disk holds)
 *   DIRTY/CLEAN ──delete──► EVICTING ──► FREE
 * </pre>
 * WRITING and EVICTING are transient: a header found in either at open belongs to an owner that
 * died mid-step, and the slot is reclaimed. Only DIRTY and CLEAN slots are served.
 */
public enum SlotState {
    /** Holds nothing; on the free list. */
    FREE(0),
    /** The owner is copying a block in; no reader accepts it (its sequence number is odd). */
    WRITING(1),
    /** Cached and not yet written back to the disk tier: never evicted. */
    DIRTY(2),
    /** Cached, and the disk tier holds it too (or there is no disk tier): evictable. */
    CLEAN(3),
    /** The owner is removing it from the index; readers that already found it may still copy it. */
    EVICTING(4);

    private final int code;

    SlotState(int code) {
        this.code = code;
    }

    /** The number written in headers and index entries. */
    public int code() {
        return code;
    }

    /** Whether a block in this state may be served. */
    public boolean servable() {
        return this == DIRTY || this == CLEAN;
    }

    /** The state of {@code code}, or null for a number no state has (a torn or foreign header). */
    public static SlotState ofCode(int code) {
        for (SlotState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
