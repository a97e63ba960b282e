package io.spillway.engine.api;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Buffer lists as {@link BlockStore}'s calls take them. Public because the engine's argument
 * checks, outside this package, use the same conversion as the interface's default methods.
 */
public final class BlockBuffers {

    private BlockBuffers() {
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
