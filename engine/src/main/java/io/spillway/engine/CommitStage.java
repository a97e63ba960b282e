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
abstract class CommitStage<T extends WrittenGroup> implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(CommitStage.class);

    final AppendWorker owner;
    final StoreContext ctx;
    private final LinkedBlockingQueue<WrittenGroup> queue = new LinkedBlockingQueue<>();
    private final boolean coalesce;
    private final Class<T> runItems;

    /** @param runItems the items this stage works on; besides them it is handed retires and the stop */
    CommitStage(AppendWorker owner, StoreContext ctx, Class<T> runItems) {
        this.owner = owner;
        this.ctx = ctx;
        this.coalesce = !ctx.durability().syncsEachBlock();
        this.runItems = runItems;
    }

    void hand(WrittenGroup item) {
        queue.add(item);
    }

    /** Works on a run of items (perhaps none): those handed over before a retire, the stop or a turn's end. */
    abstract void handleRun(List<T> run);

    /** Handles a retired segment, once the run before it is handled. */
    abstract void retire(WrittenGroup.Retire r);

    /** Handles the stop, once the run before it is handled. */
    void stop(WrittenGroup.Stop s) {
    }

    /**
     * Handles one turn's items in order: a retire or the stop waits for the items before it, so
     * a segment is retired only after the groups in it.
     *
     * @return false once the stop item was handled: the thread ends
     */
    final boolean turn(List<WrittenGroup> items) {
        List<T> run = new ArrayList<>();
        for (WrittenGroup item : items) {
            switch (item) {
                case WrittenGroup.Retire r -> {
                    handleRun(run);
                    run = new ArrayList<>(); // handleRun may keep the list it was given
                    retire(r);
                }
                case WrittenGroup.Stop s -> {
                    handleRun(run);
                    stop(s);
                    return false;
                }
                default -> {
                    if (!runItems.isInstance(item)) {
                        throw new IllegalStateException(getClass().getSimpleName() + " is handed "
                                + runItems.getSimpleName() + " items, not " + item.getClass().getSimpleName());
                    }
                    run.add(runItems.cast(item));
                }
            }
        }
        handleRun(run);
        return true;
    }

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
