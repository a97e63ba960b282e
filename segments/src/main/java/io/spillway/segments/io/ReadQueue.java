package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Reads in flight without a caller thread blocked on each: the way a load keeps the disk's queue
 * deep whatever the number of cores.
 *
 * <p>{@link #read} starts a read and returns; the read then fills its buffer as
 * {@link StoreFile#read} would (all of it, less only at end of file, short reads continued) and
 * reports exactly once to its {@link ReadCompletion}, on one of the queue's own threads. The
 * buffer must stay allocated and untouched until then. Implementations: {@link IoUringQueue}
 * (io_uring through FFM) and {@link ThreadedReadQueue} (blocking reads on a pool of threads);
 * {@link ReadQueues#open} picks one.
 *
 * <p>A queue does not limit what is in flight beyond {@link #depth()}: its user keeps at most
 * that many reads outstanding (more would wait inside the queue, or be refused).
 */
public interface ReadQueue {

    /**
     * Starts reading {@code dst.byteSize()} bytes of {@code file} at {@code offset} into
     * {@code dst} (under direct IO: aligned native memory, offset and length, as for
     * {@link StoreFile#read}).
     *
     * @throws IOException when the read cannot start (the queue is closed, the kernel refused
     *     it); {@code completion} is then never called
     */
    void read(StoreFile file, MemorySegment dst, long offset, ReadCompletion completion) throws IOException;

    /** The most reads this queue runs at once. */
    int depth();

    /** What the queue is, for logs and {@code stats}: {@code "io_uring (32 entries)"}, {@code "32 threads"}. */
    String describe();

    /**
     * Refuses new reads and waits up to {@code timeout} for those in flight to report.
     *
     * @return how many reads were still in flight at the deadline: their buffers may still be
     *     written by the kernel later and must never be freed
     */
    int shutdown(Duration timeout) throws InterruptedException;

    /** How a started read ended: exactly one of the two methods is called, once. */
    interface ReadCompletion {

        /** The read ended after {@code bytes} bytes (fewer than asked only at end of file). */
        void completed(long bytes);

        /** The read failed; {@code error} names the file and the call. */
        void failed(IOException error);
    }
}
