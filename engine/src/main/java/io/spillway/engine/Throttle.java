package io.spillway.engine;

/**
 * Limits a thread's IO to a byte rate (a token bucket holding at most one second of tokens), so
 * that GC copying leaves the disk to the loads that serve inference.
 */
final class Throttle {

    private final double bytesPerNano;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    Throttle(long bytesPerSecond) {
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.burst = bytesPerSecond;
        this.tokens = burst;
    }

    /** Takes {@code bytes} tokens, sleeping until they have accrued. */
    synchronized void acquire(long bytes) throws InterruptedException {
        refill();
        tokens -= bytes;
        if (tokens < 0) {
            long waitNanos = (long) (-tokens / bytesPerNano);
            Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
            refill();
        }
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) * bytesPerNano);
        last = now;
    }
}
