package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ReadQueue} of {@code depth} platform threads, each running one blocking
 * {@link StoreFile#read} at a time: the queue depth comes from threads decoupled from the core
 * count (a thread blocked in {@code pread} costs a stack, not a core).
 *
 * <p>Works with every {@link StoreFile} (the portable {@link ChannelFileIO}, test doubles), so it
 * is also what {@link IoUringQueue} uses for files that have no descriptor of their own.
 * Platform threads, not virtual ones: a blocking FFM downcall pins a virtual thread's carrier.
 */
public final class ThreadedReadQueue implements ReadQueue {

    private final int depth;
    private final ThreadPoolExecutor pool;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param depth the threads, so the reads in flight at once (1 to 4096)
     * @param name  prefix of the threads' names
     */
    public ThreadedReadQueue(int depth, String name) {
        if (depth < 1 || depth > 4096) {
            throw new IllegalArgumentException("read queue depth must be 1 to 4096, got " + depth);
        }
        this.depth = depth;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(depth, depth, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name(name + "-" + n.getAndIncrement()).daemon(true).unstarted(r));
    }

    @Override
    public void read(StoreFile file, MemorySegment dst, long offset, ReadCompletion completion) throws IOException {
        inFlight.incrementAndGet();
        try {
            pool.execute(new Read(file, dst, offset, completion));
        } catch (RejectedExecutionException e) {
            inFlight.decrementAndGet();
            throw new IOException("the read queue is shut down", e);
        }
    }

    /** One read; a class of its own so that {@link #shutdown} can fail the ones that never started. */
    private final class Read implements Runnable {
        private final StoreFile file;
        private final MemorySegment dst;
        private final long offset;
        private final ReadCompletion completion;

        Read(StoreFile file, MemorySegment dst, long offset, ReadCompletion completion) {
            this.file = file;
            this.dst = dst;
            this.offset = offset;
            this.completion = completion;
        }

        @Override
        public void run() {
            ThreadedReadQueue.this.run(this);
        }
    }

    private void run(Read r) {
        long n;
        try {
            n = r.file.read(r.dst, r.offset);
        } catch (IOException e) {
            inFlight.decrementAndGet();
            r.completion.failed(e);
            return;
        } catch (RuntimeException e) {
            // A closed or freed buffer, an argument the file refuses: still exactly one report.
            inFlight.decrementAndGet();
            r.completion.failed(new IOException("read of " + r.file + " at offset " + r.offset + " failed: " + e, e));
            return;
        }
        inFlight.decrementAndGet();
        r.completion.completed(n);
    }

    @Override
    public int depth() {
        return depth;
    }

    @Override
    public String describe() {
        return depth + " threads";
    }

    /** Reads queued or running now. */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public int shutdown(Duration timeout) throws InterruptedException {
        pool.shutdown();
        if (!pool.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            // Queued reads never start (and report so); a thread stuck in a syscall stays stuck.
            for (Runnable never : pool.shutdownNow()) {
                Read r = (Read) never;
                inFlight.decrementAndGet();
                r.completion.failed(new IOException("the read queue shut down before the read of " + r.file + " started"));
            }
        }
        return inFlight.get();
    }
}
