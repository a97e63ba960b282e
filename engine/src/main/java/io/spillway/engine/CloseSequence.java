package io.spillway.engine;

import io.spillway.index.BlockIndex;
import io.spillway.recovery.StoreRecovery;
import io.spillway.segments.SegmentPath;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a segment store closes. Every step runs even when an earlier one failed (a close that gave
 * up half way would keep threads, the index and the directory locks); the first IO failure of
 * steps 6 to 9 is thrown at the end, the GC's is logged.
 *
 * <ol>
 *   <li>Stop admitting tasks: a dump or load submitted from now on completes at once with
 *       {@code IO_ERROR} ("the store is closed"); queued tasks are still dispatched.
 *   <li>Wait for the tasks not yet complete, each ending by its own deadline: altogether until
 *       {@code timeout_ms} plus one second from now at most.
 *   <li>Stop the scheduler (tasks still queued fail), then the GC: its pass in progress ends, and
 *       its own segment is sealed.
 *   <li>Stop the append workers: each finishes what is queued and seals its segment. One still
 *       stuck in IO past the same deadline (each join waits at least a second) is abandoned: it
 *       never touches the index again and leaves its segment {@code .open} for recovery.
 *   <li>Stop the load threads (a read hung past five seconds is abandoned; it then no longer
 *       touches the index).
 *   <li>In one synced index batch: the lifetime counters, and a fence on every segment still
 *       {@code .open} (a failed or abandoned writer's: every block in it has had its outcome
 *       reported, so the next recovery may re-index none of it). Then flush the index, so the
 *       next open replays no WAL.
 *   <li>Last of the index writes, and only if no writer was abandoned and no segment failed in
 *       this session: the clean-shutdown marker, which lets the next open skip recovery.
 *   <li>Close the commit log, the segment readers and the index.
 *   <li>Release the directory locks.
 * </ol>
 * A crash at any point is handled by the next open's recovery: without the marker of step 7 it
 * runs in full.
 */
final class CloseSequence {

    private static final Logger LOG = LoggerFactory.getLogger(CloseSequence.class);

    private final StoreOpener.Opened store;
    private final TaskAdmission tasks;
    private final GarbageCollector gc;
    private final WriterPool writers;
    private final LoadPath loadPath;

    CloseSequence(StoreOpener.Opened store, TaskAdmission tasks, GarbageCollector gc, WriterPool writers, LoadPath loadPath) {
        this.store = store;
        this.tasks = tasks;
        this.gc = gc;
        this.writers = writers;
        this.loadPath = loadPath;
    }

    /** Steps 1 to 9, once. */
    void run() throws IOException {
        StoreContext ctx = store.ctx();
        // Steps 1 and 2.
        tasks.stopAdmitting();
        long waitUntil = System.nanoTime() + ctx.config().timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        tasks.awaitOutstanding(waitUntil);
        // Step 3.
        try {
            tasks.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            gc.close();
        } catch (IOException e) {
            LOG.error("closing the GC failed: {}", e.getMessage());
        }
        // Steps 4 and 5.
        boolean abandonedAny = writers.stop(waitUntil);
        try {
            loadPath.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Steps 6 and 7.
        IOException failure = null;
        try {
            persist(ctx, abandonedAny);
        } catch (IOException e) {
            failure = e;
        }
        // Step 8.
        try {
            ctx.publisher().close();
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        ctx.catalog().close();
        ctx.index().close();
        // Step 9.
        for (Backend b : store.backends()) {
            try {
                b.lock().close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Steps 6 and 7. */
    private void persist(StoreContext ctx, boolean abandonedAny) throws IOException {
        try (BlockIndex.Batch b = ctx.index().batch()) {
            store.counters().persist(b, ctx.metrics().counters());
            for (SegmentCatalog.Entry e : ctx.catalog().entries()) {
                if (e.state == SegmentPath.State.OPEN) {
                    b.fence(e.id);
                }
            }
            ctx.index().write(b, true);
        }
        ctx.index().flush();
        if (!abandonedAny && !ctx.catalog().anyFailed()) {
            StoreRecovery.markClean(ctx.index());
        }
    }
}
