package io.spillway.fuzz.model;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs {@code count} independent runs (seeds, crash points) on a few threads, stopping at the
 * first failure, which is rethrown with its message (the trace and the replay command).
 */
final class ParallelRuns {

    /** One run, by its index in {@code [0, count)}. */
    @FunctionalInterface
    interface Run {
        void run(int index) throws Exception;
    }

    private ParallelRuns() {
    }

    /** @return how many runs started */
    static int run(String name, int count, int threads, Run run) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Thread[] workers = new Thread[threads];
        for (int w = 0; w < threads; w++) {
            workers[w] = Thread.ofPlatform().name(name + "-" + w).start(() -> {
                while (failure[0] == null) {
                    int i = next.getAndIncrement();
                    if (i >= count) {
                        return;
                    }
                    try {
                        run.run(i);
                    } catch (Throwable e) {
                        synchronized (failure) {
                            if (failure[0] == null) {
                                failure[0] = e;
                            }
                        }
                    }
                }
            });
        }
        for (Thread t : workers) {
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0].getMessage(), failure[0]);
        }
        return Math.min(next.get(), count);
    }
}
