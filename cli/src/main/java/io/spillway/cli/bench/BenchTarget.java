package io.spillway.cli.bench;

import io.spillway.engine.api.BlockKey;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One system under test in {@code spillway bench}: Spillway itself or a peer, storing the same
 * blocks from the same client threads. Implementations are thread-safe: every client thread calls
 * {@link #dump} and {@link #load} concurrently, each with its own buffers.
 */
public interface BenchTarget extends AutoCloseable {

    /** Short id used in JSON and on the command line ({@code spillway}, {@code file-per-block}, ...). */
    String id();

    /** Human label for tables and the plot; peers say that they are reimplementations. */
    String label();

    /** How loads avoid the page cache for this target (e.g. "O_DIRECT", "buffered"). */
    String readPath();

    /**
     * Stores {@code keys.get(i)} from {@code sources.get(i)}, durably under the target's policy,
     * and returns when every block is stored.
     *
     * @return the number of blocks that were stored
     */
    int dump(int thread, List<BlockKey> keys, List<MemorySegment> sources) throws IOException, InterruptedException;

    /**
     * Reads {@code keys.get(i)} into {@code destinations.get(i)}.
     *
     * @return per key, whether it was read whole
     */
    boolean[] load(int thread, List<BlockKey> keys, List<MemorySegment> destinations) throws IOException, InterruptedException;

    /**
     * Called once after a dump phase, before the page cache is dropped for loads: a target that
     * buffers acknowledged data in memory (RocksDB's memtable) moves it to its files here, so
     * the load phase reads what a restarted or long-running store would read.
     */
    default void settle() throws IOException {
    }

    @Override
    void close() throws IOException;
}
