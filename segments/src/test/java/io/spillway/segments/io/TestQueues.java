package io.spillway.segments.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** What the read and write queue tests share: an io_uring queue or a skip, and a completion to wait on. */
public final class TestQueues {

    private TestQueues() {
    }

    /** An io_uring queue of {@code depth} entries; skips the test where the kernel refuses io_uring. */
    public static IoUringQueue ioUringOrSkip(int depth, String name) {
        try {
            return IoUringQueue.open(depth, name);
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "io_uring refused here: " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    /** A write completion a test waits on: its value is the error, or null once written. */
    public static final class Written extends CompletableFuture<IOException> implements WriteQueue.WriteCompletion {
        @Override
        public void completed() {
            assertTrue(complete(null), "reported twice");
        }

        @Override
        public void failed(IOException error) {
            assertTrue(complete(error), "reported twice");
        }
    }
}
