package io.spillway.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's append workers ({@code stream_number} of them, spread over the backends in turn),
 * each with its appender and syncer thread: started together, fed by the {@link DumpDispatcher},
 * stopped by the {@link CloseSequence}.
 */
final class WriterPool {

    private static final Logger LOG = LoggerFactory.getLogger(WriterPool.class);

    private final List<AppendWorker> workers = new ArrayList<>();
    /** Each worker's threads, by the worker's index. */
    private final List<List<Thread>> threads = new ArrayList<>();

    /** Creates and starts {@code count} workers; worker {@code i} writes to backend {@code i % backends}. */
    WriterPool(StoreContext ctx, List<Backend> backends, GarbageCollector gc, int count) {
        for (int i = 0; i < count; i++) {
            AppendWorker w = new AppendWorker(i, backends.get(i % backends.size()), ctx, gc);
            workers.add(w);
            threads.add(w.start());
        }
    }

    int size() {
        return workers.size();
    }

    /** Queues a block on worker {@code writer}. */
    void submit(int writer, BlockWrite write) {
        workers.get(writer).submit(write);
    }

    /** One of the store's IO threads: a buffer these cannot reach is refused at submission. */
    Thread ioThread() {
        return threads.getFirst().getFirst();
    }

    /**
     * Stops every worker: each finishes what is queued, seals its segment and exits. A worker
     * whose thread is still alive once {@code waitUntilNanos} has passed (each join waits at
     * least a second) is stuck in IO and is abandoned ({@link AppendWorker#abandon}): it touches
     * the index no more and leaves its segment {@code .open} for the next open's recovery. If the
     * calling thread is interrupted, every worker still running is abandoned at once (the interrupt
     * is kept). The staging memory of every worker that ended is freed.
     *
     * @return whether a worker was abandoned (then the close must not mark the store clean)
     */
    boolean stop(long waitUntilNanos) {
        workers.forEach(AppendWorker::stop);
        boolean abandonedAny = false;
        for (int i = 0; i < workers.size(); i++) {
            for (Thread t : threads.get(i)) {
                if (!Thread.currentThread().isInterrupted()) {
                    try {
                        t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1_000_000_000L, waitUntilNanos - System.nanoTime())));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (t.isAlive()) {
                    LOG.error("{} did not stop (hung IO, or the close was interrupted); its segment is left for recovery",
                            t.getName());
                    workers.get(i).abandon();
                    abandonedAny = true;
                }
            }
            workers.get(i).releaseMemory();
        }
        return abandonedAny;
    }
}
