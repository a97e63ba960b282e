package io.spillway.gpu.check;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.gpu.BlockCopier;
import io.spillway.gpu.PinnedStagingPool;
import io.spillway.segments.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Helpers the device check's parts share: block id lists, timing, keys, the store's config. */
final class CheckSupport {

    static final long MIB = 1L << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    private CheckSupport() {
    }

    /** One timed run. */
    @FunctionalInterface
    interface Op {
        void run() throws Exception;
    }

    static int[] range(int from, int count) {
        int[] a = new int[count];
        for (int i = 0; i < count; i++) {
            a[i] = from + i;
        }
        return a;
    }

    /** {@code count} ids from {@code from}, in a seeded random order. */
    static int[] shuffled(int from, int count, long seed) {
        int[] a = range(from, count);
        Random r = new Random(seed);
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** Host addresses of {@code count} blocks laid out back to back over {@code bufs}. */
    static long[] hostAddrs(PinnedStagingPool.PinnedBuffer[] bufs, int count, long blockBytes) {
        int perBuf = (int) (bufs[0].size() / blockBytes);
        long[] a = new long[count];
        for (int i = 0; i < count; i++) {
            a[i] = bufs[i / perBuf].address() + (i % perBuf) * blockBytes;
        }
        return a;
    }

    static double gbps(long bytes, long nanos) {
        return bytes / (nanos / 1e9) / 1e9;
    }

    /** Median GB/s of {@code reps} timed runs after one warm-up. */
    static double time(long bytes, int reps, Op op) throws Exception {
        op.run();
        double[] r = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            op.run();
            r[i] = gbps(bytes, System.nanoTime() - t0);
        }
        Arrays.sort(r);
        return r[reps / 2];
    }

    /**
     * Makes the destination blocks differ from the sources: block {@code dst[i]} gets a copy of
     * another source block (through the kernel path, so no scatter is needed).
     */
    static void poison(BlockCopier pc, int[] dst, int[] src) {
        int[] other = new int[src.length];
        for (int i = 0; i < src.length; i++) {
            int next = src[(i + 1) % src.length];
            other[i] = next == src[i] ? (src[i] + 1) % (pc.layout().numBlocks() / 2) : next;
        }
        pc.deviceToDevice(other, dst);
    }

    /** A prefix chain of {@code count} keys in namespace {@code ns}. */
    static List<BlockKey> keys(String ns, int count) {
        List<BlockKey> k = new ArrayList<>(count);
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < count; i++) {
            parent = BlockKey.chain(parent, new int[] {i, i * 7 + 1}, ns);
            k.add(parent);
        }
        return k;
    }

    /** The check's store: 4 readers, 2 MiB blocks, 1 GiB segments. */
    static StoreConfig storeConfig(Path dir) {
        return StoreConfig.builder().storageBackend(dir).streamNumber(4).kvBlockSize(ByteSize.ofMiB(2))
                .writeGroupSize(ByteSize.ofMiB(64)).segmentSize(ByteSize.ofGiB(1)).timeout(TIMEOUT).build();
    }

    /** Outcomes counted by kind, for the PASS/FAIL lines. */
    static String summary(Outcome[] o) {
        Map<Outcome, Integer> c = new EnumMap<>(Outcome.class);
        for (Outcome x : o) {
            c.merge(x, 1, Integer::sum);
        }
        return c.toString();
    }

    static boolean allOk(Outcome[] o) {
        return Arrays.stream(o).allMatch(x -> x == Outcome.OK);
    }
}
