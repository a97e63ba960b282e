package io.spillway.engine.shared;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.config.StoreKeys;
import io.spillway.testkit.Payloads;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One process of {@link SharedStoreSuite}: {@code writer|reader <store> <local dir> <namespace> <seed>}.
 *
 * <p>Both loop over the key universe ({@link #key}: namespaces {@code w0..w2} and {@code shared},
 * numbers below {@link #UNIVERSE} for {@code shared}, 5 times that for the others), loading whatever lookup says is there and checking every
 * byte; a wrong byte prints {@code WRONG <ns> <n>}. A writer also dumps, while its dumping is on,
 * blocks of its own namespace and of {@code shared} (overlapping with the other writers) when told, and
 * prints {@code ACK <ns> <n>} for each acknowledged durable. Commands on stdin, each answered
 * with one line: {@code DUMP on|off}, {@code RESTART} (close, which seals, and reopen: prints
 * the writer id), {@code CHECK <file>} (loads every key listed, {@code <ns> <n>} a line; prints
 * {@code CHECK <ok> <of>}), {@code STATUS} ({@code STATUS <id> <gcOwner> <wrongSoFar> <tasks> left}).
 */
public final class SharedChildMain {

    static final int BLOCK = 16 << 10;
    static final int UNIVERSE = 4000;
    static final int CAPACITY_MIB = 24;
    static final int SEGMENT_MIB = 1;
    static final long REFRESH_MILLIS = 200;
    /** The suite's lease timeout: -Dspillway.suite.lease_ms (GlusterFS's FUSE cache wants more than local disk). */
    static final long LEASE_MILLIS = Long.getLong("spillway.suite.lease_ms", 1500);

    private SharedChildMain() {
    }

    static StoreConfig config(Path store, Path local) {
        return StoreConfig.builder().storageBackend(store).indexPath(local.resolve("index")).segmentSize(ByteSize.ofMiB(SEGMENT_MIB))
                .writeGroupSize(ByteSize.ofMiB(1)).streamNumber(2).capacity(Capacity.of(ByteSize.ofMiB(CAPACITY_MIB)))
                .set(StoreKeys.REFRESH_INTERVAL, Duration.ofMillis(REFRESH_MILLIS))
                .set(StoreKeys.LEASE_TIMEOUT, Duration.ofMillis(LEASE_MILLIS)).build();
    }

    static BlockKey key(String namespace, int n) {
        return BlockKey.chain(BlockKey.ROOT, new int[] {n, n * 7 + 1}, namespace);
    }

    public static void main(String[] args) throws Exception {
        boolean writer = args[0].equals("writer");
        Path store = Path.of(args[1]);
        Path local = Path.of(args[2]);
        String ns = args[3];
        Random random = new Random(Long.parseLong(args[4]));
        StoreConfig config = config(store, local);
        AtomicLong dumping = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        SharedStore[] s = {writer ? SharedStore.open(config, new SimpleMeterRegistry())
                : SharedStore.openReadOnly(config, new SimpleMeterRegistry())};
        Object lock = new Object();
        System.out.println("READY " + s[0].writerId());
        System.out.flush();
        Thread.ofPlatform().daemon(true).start(() -> commands(s, lock, config, writer, dumping, wrong));
        try (Arena arena = Arena.ofShared()) {
            int next = 0;
            while (true) {
                synchronized (lock) {
                    verifySome(s[0], arena, random, wrong);
                    if (dumping.get() > 0) {
                        next = dumpSome(s[0], arena, random, ns, next);
                        dumping.decrementAndGet();
                    }
                }
                Thread.sleep(10);
            }
        }
    }

    private static int dumpSome(SharedStore store, Arena arena, Random random, String ns, int next) throws Exception {
        List<BlockKey> keys = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            boolean shared = random.nextInt(4) == 0;
            int n = shared ? random.nextInt(UNIVERSE) : next++; // own keys never repeat: each is a fresh write
            keys.add(key(shared ? "shared" : ns, n));
            names.add((shared ? "shared" : ns) + " " + n);
        }
        List<MemorySegment> src = new ArrayList<>();
        for (BlockKey k : keys) {
            src.add(Payloads.content(arena, k, BLOCK));
        }
        Task t = store.dump(keys, src);
        TaskResult r = t.await(Duration.ofSeconds(30));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            if (r != null && r.outcome(i) == Outcome.OK && r.durable()) {
                sb.append("ACK ").append(names.get(i)).append('\n');
            }
        }
        System.out.print(sb);
        System.out.flush();
        return next;
    }

    /** Loads 32 random keys of the universe that lookup says are there, checking their bytes. */
    private static void verifySome(SharedStore store, Arena arena, Random random, AtomicLong wrong) throws Exception {
        String[] spaces = {"w0", "w1", "w2", "shared"};
        List<BlockKey> keys = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            String sp = spaces[random.nextInt(spaces.length)];
            int n = random.nextInt(sp.equals("shared") ? UNIVERSE : 5 * UNIVERSE);
            keys.add(key(sp, n));
            names.add(sp + " " + n);
        }
        BitSet there = store.lookup(keys);
        List<BlockKey> hit = new ArrayList<>();
        List<String> hitNames = new ArrayList<>();
        for (int i = there.nextSetBit(0); i >= 0; i = there.nextSetBit(i + 1)) {
            hit.add(keys.get(i));
            hitNames.add(names.get(i));
        }
        if (hit.isEmpty()) {
            return;
        }
        List<MemorySegment> dst = Payloads.empty(arena, hit.size(), BLOCK);
        TaskResult r = store.load(hit, dst).await(Duration.ofSeconds(30));
        for (int i = 0; r != null && i < hit.size(); i++) {
            if (r.outcome(i) == Outcome.OK && !Payloads.matches(dst.get(i), hit.get(i))) {
                wrong.incrementAndGet();
                System.out.println("WRONG " + hitNames.get(i));
                System.out.flush();
            }
        }
    }

    private static void commands(SharedStore[] s, Object lock, StoreConfig config, boolean writer, AtomicLong dumping,
                                 AtomicLong wrong) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
             Arena arena = Arena.ofShared()) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.split(" ");
                String answer;
                synchronized (lock) {
                    answer = switch (w[0]) {
                        case "DUMP" -> {
                            dumping.set(writer ? Long.parseLong(w[1]) : 0);
                            yield "DUMP " + dumping.get();
                        }
                        case "RESTART" -> {
                            s[0].close();
                            s[0] = SharedStore.open(config, new SimpleMeterRegistry());
                            yield "RESTARTED " + s[0].writerId();
                        }
                        case "CHECK" -> check(s[0], arena, Path.of(w[1]));
                        case "STATUS" -> "STATUS " + (s[0].readOnly() ? "-" : s[0].writerId()) + " " + s[0].gcOwner() + " " + wrong.get() + " " + dumping.get() + " left";
                        default -> "UNKNOWN " + line;
                    };
                }
                System.out.println(answer);
                System.out.flush();
            }
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(3);
        }
    }

    private static String check(SharedStore store, Arena arena, Path file) throws Exception {
        List<BlockKey> keys = new ArrayList<>();
        List<String> names = Files.readAllLines(file);
        for (String l : names) {
            String[] p = l.split(" ");
            keys.add(key(p[0], Integer.parseInt(p[1])));
        }
        int ok = 0;
        java.util.Map<String, Integer> bad = new java.util.TreeMap<>();
        for (int from = 0; from < keys.size(); from += 256) {
            List<BlockKey> part = keys.subList(from, Math.min(keys.size(), from + 256));
            List<MemorySegment> dst = Payloads.empty(arena, part.size(), BLOCK);
            TaskResult r = store.load(part, dst).await(Duration.ofSeconds(30));
            for (int i = 0; r != null && i < part.size(); i++) {
                if (r.outcome(i) == Outcome.OK && Payloads.matches(dst.get(i), part.get(i))) {
                    ok++;
                } else {
                    bad.merge(names.get(from + i).split(" ")[0] + ":" + r.outcome(i), 1, Integer::sum);
                }
            }
        }
        return "CHECK " + ok + " " + keys.size() + (bad.isEmpty() ? "" : " " + bad);
    }
}
