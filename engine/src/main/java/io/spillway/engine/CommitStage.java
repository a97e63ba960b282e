package io.spillway.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stage of an append worker's group commit ({@link GroupSyncer}, {@link GroupPublisher}): one
 * thread that takes what the stage before handed over, a turn at a time, in order.
 *
 * <p>A turn is everything queued when the thread wakes (one item under durability
 * {@code always}, which never coalesces). A stage that dies fails what it still holds, so no
 * block's task is left waiting.
 */
abstract class CommitStage implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(CommitStage.class);

    final AppendWorker owner;
    final StoreContext ctx;
    private final LinkedBlockingQueue<WrittenGroup> queue = new LinkedBlockingQueue<>();
    private final boolean coalesce;

    CommitStage(AppendWorker owner, StoreContext ctx) {
        this.owner = owner;
        this.ctx = ctx;
        this.coalesce = !ctx.durability().syncsEachBlock();
    }

    void hand(WrittenGroup item) {
        queue.add(item);
    }

    /**
     * Handles one turn's items in order.
     *
     * @return false once the stop item was handled: the thread ends
     */
    abstract boolean turn(List<WrittenGroup> items);

    /** The stage died: fail the blocks of {@code rest}, what it had not handled yet. */
    abstract void failPending(List<WrittenGroup> rest, String detail);

    @Override
    public final void run() {
        try {
            List<WrittenGroup> items = new ArrayList<>();
            boolean more = true;
            while (more) {
                items.add(queue.take());
                if (coalesce) {
                    queue.drainTo(items);
                }
                more = turn(items);
                items.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("{} of append worker {} died", getClass().getSimpleName(), owner.ordinal(), e);
            List<WrittenGroup> rest = new ArrayList<>();
            queue.drainTo(rest);
            failPending(rest, getClass().getSimpleName() + " died: " + e);
        }
    }
}
