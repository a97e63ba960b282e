package io.spillway.testkit.sim;

import io.spillway.segments.io.NativeIOException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When the simulated disk fails, in the SQLite and TigerBeetle VOPR manner: every IO call gets
 * an index (in the order calls reach the disk), and the plan decides from that index, or from a
 * seeded random stream, whether the call fails.
 *
 * <p>Modes:
 * <ul>
 *   <li>{@link Mode#POWER_CUT} at call {@code n}: call {@code n} never happens; the power is cut
 *       (by the test, see {@link #cutRequested()}) and every later call fails.
 *   <li>{@link Mode#FAIL_ONCE} at {@code n}: call {@code n} fails with an IOException (EIO), the
 *       rest succeed.
 *   <li>{@link Mode#FAIL_PERMANENTLY} from {@code n}: call {@code n} and every later call fail.
 *   <li>{@link Mode#RANDOM}: each call of a kind fails with a probability (ENOSPC for writes and
 *       preallocation, EIO otherwise), from a seed.
 * </ul>
 * Thread-safe: the store's threads call {@link #check} concurrently.
 */
public final class FaultPlan {

    /** How the plan fails calls. */
    public enum Mode { NONE, POWER_CUT, FAIL_ONCE, FAIL_PERMANENTLY, RANDOM }

    /** The kinds of IO call, for counting and for random faults. */
    public enum Call { OPEN, CREATE, WRITE, READ, SYNC, PREALLOCATE, TRUNCATE, SIZE, CLOSE, RENAME, SYNC_DIR, LIST, DELETE, EXISTS, STAT, MKDIR }

    private final AtomicLong calls = new AtomicLong();
    private volatile Mode mode = Mode.NONE;
    private volatile long at = Long.MAX_VALUE;
    private volatile boolean dead;
    private volatile boolean fired;
    private SplittableRandom random;
    private double[] probability;
    private final List<String> log = new ArrayList<>();

    /** Arms the plan; the call counter restarts at 0. */
    public synchronized void arm(Mode mode, long at) {
        this.mode = mode;
        this.at = at;
        this.calls.set(0);
        this.dead = false;
        this.fired = false;
    }

    /** Arms random faults: {@code probability[call.ordinal()]} per call of each kind. */
    public synchronized void armRandom(long seed, double[] probability) {
        arm(Mode.RANDOM, Long.MAX_VALUE);
        this.random = new SplittableRandom(seed);
        this.probability = probability.clone();
    }

    /** Disarms the plan (calls still count). */
    public synchronized void clear() {
        mode = Mode.NONE;
        at = Long.MAX_VALUE;
        dead = false;
        random = null;
    }

    /** IO calls seen since the last {@link #arm} (or ever). */
    public long calls() {
        return calls.get();
    }

    /** Whether a power cut was reached: the test must now cut the power and reboot. */
    public boolean cutRequested() {
        return mode == Mode.POWER_CUT && dead;
    }

    /** Whether the planned fault has happened. */
    public boolean fired() {
        return fired;
    }

    /** A description of each injected fault (for failure traces). */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    /** Called before every IO call; throws to fail it. */
    void check(Call call, String what) throws IOException {
        long n = calls.getAndIncrement();
        if (dead) {
            throw new IOException("simulated disk is gone (" + mode + " at call " + at + "): " + call + " " + what);
        }
        switch (mode) {
            case NONE -> {
            }
            case POWER_CUT -> {
                if (n >= at) {
                    dead = true;
                    record("power cut before call " + n + " (" + call + " " + what + ")");
                    throw new IOException("simulated power cut at call " + n + ": " + call + " " + what);
                }
            }
            case FAIL_ONCE -> {
                if (n == at) {
                    record("EIO once at call " + n + " (" + call + " " + what + ")");
                    throw new IOException("simulated EIO (once) at call " + n + ": " + call + " " + what);
                }
            }
            case FAIL_PERMANENTLY -> {
                if (n >= at) {
                    record("EIO from call " + at + " on; now call " + n + " (" + call + " " + what + ")");
                    throw new IOException("simulated EIO (permanent since call " + at + ") at call " + n + ": " + call + " " + what);
                }
            }
            case RANDOM -> {
                boolean fail;
                synchronized (this) {
                    fail = random != null && random.nextDouble() < probability[call.ordinal()];
                }
                if (fail) {
                    record("random fault at call " + n + " (" + call + " " + what + ")");
                    if (call == Call.WRITE || call == Call.PREALLOCATE) {
                        throw new NativeIOException(call.name().toLowerCase(), null, 28,
                                "No space left on device (simulated, call " + n + ")");
                    }
                    throw new IOException("simulated EIO at call " + n + ": " + call + " " + what);
                }
            }
        }
    }

    private synchronized void record(String s) {
        fired = true;
        if (log.size() < 1000) {
            log.add(s);
        }
    }
}
