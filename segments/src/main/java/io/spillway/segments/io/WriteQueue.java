package io.spillway.segments.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

/**
 * Gathered writes in flight without the writer blocked on each: what lets one append worker keep
 * the disk's queue as deep as fio's {@code iodepth} does.
 *
 * <p>{@link #write} starts a write and returns; the write then puts every byte of the pieces at
 * the offset, as {@link StoreFile#write(List, long)} would (short writes continued), and reports
 * exactly once to its {@link WriteCompletion}. The pieces must stay allocated and untouched until
 * then. {@link IoUringQueue} writes through io_uring; {@link #inline()} writes on the caller's
 * thread before {@link #write} returns (one write at a time, and for files without a descriptor
 * of this process's own: the simulated disk of the tests, {@link ChannelFileIO}).
 *
 * <p>Writes in flight may complete in any order; a caller that needs an order (a sync covers only
 * writes that ended) keeps it itself.
 */
public interface WriteQueue {

    /**
     * Starts writing {@code pieces}, in order, to {@code file} from {@code offset}.
     *
     * @throws IOException when the write cannot start (the queue is shut down, the kernel refused
     *     it); {@code completion} is then never called
     */
    void write(StoreFile file, List<MemorySegment> pieces, long offset, WriteCompletion completion) throws IOException;

    /** What the queue is, for logs: {@code "io_uring (8 entries)"}, {@code "inline"}. */
    String describe();

    /**
     * Refuses new writes and waits up to {@code timeout} for those in flight to report.
     *
     * @return how many writes were still in flight at the deadline: their pieces may still be
     *     read by the kernel later and must never be freed
     */
    int shutdown(Duration timeout) throws InterruptedException;

    /** How a started write ended: exactly one of the two methods is called, once. */
    interface WriteCompletion {

        /** Every byte was written (not synced). */
        void completed();

        /** The write failed; {@code error} names the file and the call. Some bytes may be on disk. */
        void failed(IOException error);
    }

    /** Each write runs to its end on the caller's thread, inside {@link #write}. */
    static WriteQueue inline() {
        return Inline.INSTANCE;
    }

    /** See {@link #inline()}. */
    enum Inline implements WriteQueue {
        INSTANCE;

        @Override
        public void write(StoreFile file, List<MemorySegment> pieces, long offset, WriteCompletion completion) {
            try {
                file.write(pieces, offset);
            } catch (IOException e) {
                completion.failed(e);
                return;
            }
            completion.completed();
        }

        @Override
        public String describe() {
            return "inline";
        }

        @Override
        public int shutdown(Duration timeout) {
            return 0;
        }
    }
}
