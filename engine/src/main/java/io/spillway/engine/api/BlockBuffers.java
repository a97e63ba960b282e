package io.spillway.engine.api;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Key and buffer lists as {@link BlockStore}'s calls take them. Public because the engine's argument
 * checks, outside this package, use the same conversion as the interface's default methods.
 */
public final class BlockBuffers {

    private BlockBuffers() {
    }

    /** Refuses a null list ({@link NullPointerException}) and a null key; returns an immutable copy. */
    public static List<BlockKey> keys(List<BlockKey> keys) {
        return List.copyOf(checked(keys));
    }

    /**
     * Refuses a null list ({@link NullPointerException}) and a null key; returns {@code keys}
     * itself. For calls that read the list only while they run (lookups): a task outlives its
     * call, so it takes {@link #keys}'s copy instead.
     */
    public static List<BlockKey> checked(List<BlockKey> keys) {
        Objects.requireNonNull(keys, "keys");
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i) == null) {
                throw new IllegalArgumentException("keys[" + i + "] is null");
            }
        }
        return keys;
    }

    /**
     * One-piece blocks as scattered ones, what {@link BlockStore#dump} and {@link BlockStore#load}
     * pass on; refuses a null list ({@link NullPointerException}) and a null buffer ({@link
     * IllegalArgumentException} naming its index).
     *
     * @param what the list's name in the messages ({@code "sources"}, {@code "destinations"})
     */
    public static List<List<MemorySegment>> singletons(List<MemorySegment> buffers, String what) {
        Objects.requireNonNull(buffers, what);
        List<List<MemorySegment>> out = new ArrayList<>(buffers.size());
        for (int i = 0; i < buffers.size(); i++) {
            MemorySegment b = buffers.get(i);
            if (b == null) {
                throw new IllegalArgumentException(what + "[" + i + "] is null");
            }
            out.add(List.of(b));
        }
        return out;
    }
}
