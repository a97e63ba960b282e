package io.spillway.engine;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.RecordSource;
import io.spillway.segments.SegmentWriter;
import io.spillway.segments.io.IoUringQueue;
import io.spillway.segments.io.WriteQueue;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes an append worker has in flight, and the order in which what it wrote reaches its
 * {@link GroupSyncer}: up to {@code depth} groups are being written at once, and each is handed
 * on only once its own write and those of every group before it have ended, so a sync never
 * covers a write still in flight and the later stages see the appender's order.
 *
 * <p>Per group (the appender's thread, then whichever thread the write reports on):
 * <ol>
 *   <li>the appender takes a free scratch buffer for the group's header block, waiting while
 *       {@code depth} writes are in flight;
 *   <li>it queues a placeholder, starts the write ({@link SegmentWriter#appendAsync}) and fills
 *       the placeholder in with the written group; a write that could not start takes its
 *       placeholder back out (the appender fails its blocks, as before);
 *   <li>the write reports: its placeholder is marked ended and its scratch is free again;
 *   <li>under the window's lock, whoever finds the oldest placeholder ended and filled in hands
 *       it on, and the next, so hand-offs keep the appender's order. A group whose write failed,
 *       or whose segment failed under it, is not handed on: its segment is fenced in the index
 *       first (part of it may be on disk and valid; recovery must never re-index it), then its
 *       blocks fail.
 * </ol>
 * Retirements and the stop pass through the same queue behind the groups written before them,
 * so a segment is sealed only after every write into it has ended.
 */
final class WriteWindow {

    private static final Logger LOG = LoggerFactory.getLogger(WriteWindow.class);

    private final AppendWorker owner;
    private final GroupSyncer next;
    private final WriteQueue queue;
    private final StoreMetrics metrics;
    private final ArrayBlockingQueue<MemorySegment> freeScratch;
    private final ArrayDeque<Entry> order = new ArrayDeque<>(); // guarded by itself
    private long fencedSegment = -1; // guarded by order: the failed segment fenced last

    /** A placeholder: {@code item} is null until the appender fills it in. */
    private static final class Entry {
        WrittenGroup item;
        boolean ended;
        IOException failure;
        MemorySegment scratch;
        boolean withdrawn;
        long started; // System.nanoTime() at the write's start
        long endedAt; // and at its end
    }

    /**
     * Opens the window's io_uring queue of {@code write_queue_depth} entries, or writes inline,
     * one group at a time, at depth 1 or where io_uring is refused (logged at debug: the load
     * path logs the same refusal at open).
     *
     * @param arena where the scratch buffers live; freed by the owner once no write is in flight
     */
    WriteWindow(AppendWorker owner, GroupSyncer next, StoreContext ctx, String name, Arena arena) {
        this.owner = owner;
        this.next = next;
        this.metrics = ctx.metrics();
        int depth = ctx.config().writeQueueDepth();
        WriteQueue q = WriteQueue.inline();
        if (depth > 1) {
            try {
                q = IoUringQueue.open(depth, name);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("io_uring is not available for writes ({}); {} writes one group at a time", e.getMessage(), name);
                depth = 1;
            }
        }
        this.queue = q;
        this.freeScratch = new ArrayBlockingQueue<>(depth);
        long bytes = SegmentWriter.scratchBytes(ctx.alignment());
        for (int i = 0; i < depth; i++) {
            freeScratch.add(arena.allocate(bytes, ctx.alignment()));
        }
    }

    /**
     * Shuts the queue down once nothing is in flight (the owner's threads have all ended).
     *
     * @return whether no write is left in flight, so the scratch may be freed
     */
    boolean close() {
        try {
            return queue.shutdown(Duration.ofSeconds(1)) == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Steps 1 and 2: writes one group of {@code blocks} into {@code segment}.
     *
     * @return where each record went
     * @throws IOException when the write could not start (the segment is then failed)
     * @throws InterruptedException while waiting for a free scratch; nothing was started
     */
    List<BlockLocation> write(SegmentWriter segment, List<RecordSource> records, List<BlockWrite> blocks, Runnable onCopied)
            throws IOException, InterruptedException {
        MemorySegment scratch = freeScratch.take();
        Entry e = new Entry();
        e.scratch = scratch;
        e.started = System.nanoTime();
        synchronized (order) {
            order.add(e);
        }
        List<BlockLocation> locations;
        long groupStart = segment.position();
        try {
            locations = segment.appendAsync(records, onCopied, scratch, queue, new WriteQueue.WriteCompletion() {
                @Override
                public void completed() {
                    ended(e, null);
                }

                @Override
                public void failed(IOException error) {
                    ended(e, error);
                }
            });
        } catch (IOException | RuntimeException failure) {
            synchronized (order) {
                e.withdrawn = true;
            }
            freeScratch.add(scratch);
            drain();
            throw failure;
        }
        metrics.groupBytes.increment(segment.position() - groupStart);
        synchronized (order) {
            e.item = new WrittenGroup.Group(segment, List.copyOf(blocks), locations);
        }
        drain();
        return locations;
    }

    /** Queues a retirement or the stop behind the groups before it. */
    void pass(WrittenGroup item) {
        Entry e = new Entry();
        e.item = item;
        e.ended = true;
        synchronized (order) {
            order.add(e);
        }
        drain();
    }

    /** Step 3. */
    private void ended(Entry e, IOException failure) {
        long now = System.nanoTime();
        metrics.groupWrite.record(now - e.started, TimeUnit.NANOSECONDS);
        synchronized (order) {
            e.ended = true;
            e.failure = failure;
            e.endedAt = now;
        }
        freeScratch.add(e.scratch);
        drain();
    }

    /** Step 4. */
    private void drain() {
        synchronized (order) {
            while (!order.isEmpty()) {
                Entry head = order.peek();
                if (head.withdrawn) {
                    order.poll();
                    continue;
                }
                if (!head.ended || head.item == null) {
                    return;
                }
                order.poll();
                if (head.failure != null && head.item instanceof WrittenGroup.Group g) {
                    failGroup(g, head.failure);
                } else {
                    if (head.item instanceof WrittenGroup.Group) {
                        metrics.groupOrdering.record(System.nanoTime() - head.endedAt, TimeUnit.NANOSECONDS);
                    }
                    next.hand(head.item);
                }
            }
        }
    }

    private void failGroup(WrittenGroup.Group g, IOException failure) {
        long id = g.segment().segmentId();
        if (fencedSegment != id) {
            LOG.error("a write into segment {} failed ({}); leaving it to recovery and starting a new one", id,
                    failure.getMessage());
            owner.fence(id);
            fencedSegment = id;
        }
        owner.failBlocks(g.blocks(), failure);
    }
}
