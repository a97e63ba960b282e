package io.spillway.engine;

import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.api.Outcome;

import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Child process of {@link KillNineTest}: opens the store under {@code args[0]} and dumps blocks
 * of namespace {@code args[1]} forever, in tasks of 1 to 6 blocks, several tasks in flight. Prints
 * {@code ACK <n>} for each block acknowledged durable, after its task completed. The parent kills
 * it with SIGKILL at a moment of its choosing.
 */
public final class CrashChildMain {

    static final int BLOCK = 16 << 10;

    private CrashChildMain() {
    }

    static StoreConfig config(Path root) {
        return StoreConfig.builder().storageBackend(root.resolve("data")).segmentSize(ByteSize.ofMiB(1))
                .writeGroupSize(ByteSize.ofMiB(1)).streamNumber(2).build();
    }

    static BlockKey key(String namespace, int n) {
        return BlockKey.chain(BlockKey.ROOT, new int[] {n, n * 7 + 1}, namespace);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String namespace = args[1];
        Random random = new Random(Long.parseLong(args[2]));
        try (SegmentStore store = SegmentStore.open(config(root)); Arena arena = Arena.ofShared()) {
            System.out.println("READY");
            System.out.flush();
            int next = 0;
            List<Task> inFlight = new ArrayList<>();
            List<int[]> ranges = new ArrayList<>();
            while (true) {
                int n = 1 + random.nextInt(6);
                List<BlockKey> keys = new ArrayList<>();
                List<MemorySegment> src = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    BlockKey k = key(namespace, next + i);
                    keys.add(k);
                    src.add(Payloads.content(arena, k, BLOCK));
                }
                inFlight.add(store.dump(keys, src));
                ranges.add(new int[] {next, n});
                next += n;
                if (inFlight.size() >= 1 + random.nextInt(4)) {
                    Task t = inFlight.removeFirst();
                    int[] range = ranges.removeFirst();
                    TaskResult r = t.await(java.time.Duration.ofSeconds(60));
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < range[1]; i++) {
                        if (r != null && r.outcome(i) == Outcome.OK && r.durable()) {
                            sb.append("ACK ").append(range[0] + i).append('\n');
                        }
                    }
                    System.out.print(sb);
                    System.out.flush();
                }
            }
        }
    }
}
