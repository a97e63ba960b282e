package io.spillway.engine.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spillway.segments.SegmentPath;
import io.spillway.testkit.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared-store suite (issue 15), over real processes: 3 writers, each through its own mount
 * of one store, dumping distinct and overlapping keys, and 2 read-only openers, all loading and
 * checking every block they can see. Phases: (1) every acknowledged block, once sealed, loads in
 * every process within the refresh interval; (2) kill -9 a writer mid-dump: a peer adopts it and
 * every block it acknowledged loads everywhere; (3) the segment files never take more than the
 * shared capacity (space tickets), and the GC owner reclaims the dead writer's space; (4) kill -9
 * the GC owner: another takes over and the capacity still holds. No process ever loads a wrong
 * byte. {@link #mounts} says where the store is: one local directory, or GlusterFS mounts.
 */
abstract class SharedStoreSuite {

    /** The store directory as each process sees it (one per process slot, cycled). */
    abstract List<Path> mounts() throws IOException;

    /** Local scratch for the processes' indexes (and, for a local store, the store itself). */
    @TempDir
    Path tmp;

    /**
     * Takes the mount of process slot {@code slot} away ({@code up} false) or gives it back; false
     * where the suite's store has no mounts of its own (local disk), and phase 5 is not run.
     */
    boolean mount(int slot, boolean up) throws Exception {
        return false;
    }

    /** The lease timeout the processes use. */
    long leaseMillis() {
        return SharedChildMain.LEASE_MILLIS;
    }

    private final List<Child> children = new ArrayList<>();
    private final List<String> wrong = new ArrayList<>();
    private final StringBuilder figures = new StringBuilder();

    void run() throws Exception {
        List<Path> mounts = mounts();
        try {
            for (int i = 0; i < 3; i++) {
                children.add(start("writer", mounts.get(i % mounts.size()), "w" + i, i));
            }
            for (int i = 0; i < 2; i++) {
                children.add(start("reader", mounts.get((3 + i) % mounts.size()), "r" + i, 10 + i));
            }
            phases(mounts.getFirst());
        } finally {
            for (Child c : children) {
                c.process.destroyForcibly();
                c.process.waitFor(30, TimeUnit.SECONDS);
            }
            Files.writeString(tmp.resolve("figures.txt"), figures.toString());
            System.out.print(figures);
        }
        assertTrue(wrong.isEmpty(), () -> "wrong bytes loaded: " + wrong);
    }

    private void phases(Path store) throws Exception {
        Child w0 = children.get(0);
        Child w1 = children.get(1);
        Child w2 = children.get(2);
        List<Child> writers = List.of(w0, w1, w2);
        // Phase 1.
        for (Child w : writers) {
            assertEquals("DUMP 40", w.ask("DUMP 40"));
        }
        for (Child w : writers) {
            w.waitDumped(60);
        }
        for (Child w : writers) {
            assertEquals("RESTARTED " + w.id, w.ask("RESTART"), "a writer keeps its derived id across a restart");
        }
        Path all = keysFile("phase1", writers);
        long t0 = System.nanoTime();
        for (Child c : children) {
            c.waitCheck(all, 30);
        }
        figures.append(String.format("phase 1: %d acknowledged blocks visible in all 5 processes %.0f ms after the last seal"
                + " (refresh_interval %d ms)%n", lines(all), (System.nanoTime() - t0) / 1e6, SharedChildMain.REFRESH_MILLIS));
        // Phase 2: kill -9 a writer mid-dump.
        assertEquals("DUMP 100000", w2.ask("DUMP 100000"));
        w2.waitAcks(w2.acks.size() + 60, 60);
        w2.process.destroyForcibly();
        long killed = System.nanoTime();
        assertTrue(w2.process.waitFor(30, TimeUnit.SECONDS));
        Path dead = keysFile("phase2", List.of(w2));
        Path marker = Layout.writer(store, w2.id).resolve(Adoption.MARKER);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(marker) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(marker), "a peer adopted the dead writer");
        double markerMs = (System.nanoTime() - killed) / 1e6;
        children.get(3).waitCheck(dead, 60);
        double adoptMs = (System.nanoTime() - killed) / 1e6;
        for (Child c : List.of(w0, w1, children.get(3), children.get(4))) {
            c.waitCheck(dead, 30);
        }
        figures.append(String.format("phase 2: kill -9 of writer %s; adopted (ADOPTED written) %.0f ms after the kill, all %d of"
                + " its acknowledged blocks loadable by a reader %.0f ms after the kill (lease_timeout %d ms)%n", w2.id, markerMs,
                lines(dead), adoptMs, leaseMillis()));
        // Phase 3: capacity under two writers; the dead writer's space reclaimed.
        assertEquals("DUMP 100000", w0.ask("DUMP 100000"));
        assertEquals("DUMP 100000", w1.ask("DUMP 100000"));
        // Every shared writer's segment file holds a space ticket until it is gone (SpaceTickets):
        // the capacity itself is the bound, not capacity plus a segment per writer.
        long bound = (long) SharedChildMain.CAPACITY_MIB << 20;
        long max = 0;
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Files.exists(Layout.writer(store, w2.id)) && System.nanoTime() < until) {
            max = Math.max(max, storeBytes(store));
            Thread.sleep(50);
        }
        assertFalse(Files.exists(Layout.writer(store, w2.id)), "the GC owner reclaimed the dead writer's directory");
        assertTrue(max <= bound, "store held " + max + " bytes of segments; the capacity is " + bound);
        figures.append(String.format("phase 3: dead writer's directory reclaimed; store at most %.1f MiB (capacity %d MiB)%n",
                max / 1048576.0, SharedChildMain.CAPACITY_MIB));
        // Phase 4: kill -9 the GC owner.
        Child gcOwner = w0.ask("STATUS").split(" ")[2].equals("true") ? w0 : w1;
        Child survivor = gcOwner == w0 ? w1 : w0;
        assertEquals("true", gcOwner.ask("STATUS").split(" ")[2], "one of the two live writers owns the GC");
        gcOwner.process.destroyForcibly();
        long ownerKilled = System.nanoTime();
        until = ownerKilled + TimeUnit.SECONDS.toNanos(60);
        max = 0;
        while (!survivor.ask("STATUS").split(" ")[2].equals("true") && System.nanoTime() < until) {
            max = Math.max(max, storeBytes(store));
            Thread.sleep(50);
        }
        double takeoverMs = (System.nanoTime() - ownerKilled) / 1e6;
        assertEquals("true", survivor.ask("STATUS").split(" ")[2], "the survivor took the GC over");
        for (int i = 0; i < 40; i++) {
            max = Math.max(max, storeBytes(store));
            Thread.sleep(50);
        }
        assertTrue(max <= bound, "store held " + max + " bytes after the GC owner died; bound " + bound);
        assertEquals(survivor.id, GcOwnership.owner(store).orElse("(none)"), "the highest gc/owner epoch names the survivor");
        figures.append(String.format("phase 4: GC owner %s killed; %s owned the GC %.0f ms later; store at most %.1f MiB%n",
                gcOwner.id, survivor.id, takeoverMs, max / 1048576.0));
        outage(survivor);
        for (Child c : List.of(survivor, children.get(3), children.get(4))) {
            String[] st = c.ask("STATUS").split(" ");
            assertEquals("0", st[3], c.name + " counted wrong bytes");
        }
    }

    /**
     * Phase 5 (shared mounts only): reader r1's mount goes away under load and comes back. While it
     * is away r1 cannot load what the survivor writes (it reports misses or errors, never wrong
     * bytes) and the survivor and r0 go on; once it is back r1 loads everything again.
     */
    private void outage(Child survivor) throws Exception {
        Child r0 = children.get(3);
        Child r1 = children.get(4);
        if (!mount(4, false)) {
            return;
        }
        long down = System.nanoTime();
        try {
            int before = survivor.ackLog.size();
            survivor.waitAcks(survivor.acks.size() + 80, 60);
            assertEquals("DUMP 0", survivor.ask("DUMP 0"));
            assertTrue(survivor.ask("RESTART").startsWith("RESTARTED"));
            Path during = tmp.resolve("phase5.keys");
            synchronized (survivor.ackLog) {
                // Its own namespace only: a "shared" key may be acknowledged as a duplicate of an old copy the GC evicts.
                Files.write(during, survivor.ackLog.subList(before, survivor.ackLog.size()).stream()
                        .filter(k -> k.startsWith(survivor.name + " ")).distinct().toList());
            }
            r0.waitCheck(during, 30);
            String[] away = r1.ask("CHECK " + during).split(" ");
            assertTrue(Integer.parseInt(away[1]) < Integer.parseInt(away[2]), "r1 cannot see new blocks without its mount");
            figures.append(String.format("phase 5: r1's mount away: r1 loads %s of %s, r0 all%n", away[1], away[2]));
        } finally {
            mount(4, true);
        }
        long up = System.nanoTime();
        Path all = tmp.resolve("phase5.keys");
        r1.waitCheck(all, 60);
        figures.append(String.format("phase 5: mount away %.0f ms; back: r1 loads all %d of the survivor's blocks %.0f ms later%n",
                (up - down) / 1e6, lines(all), (System.nanoTime() - up) / 1e6));
    }

    private Child start(String role, Path store, String name, int seed) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(ChildJvm.command(dir, List.of("-Dspillway.suite.lease_ms=" + leaseMillis()), SharedChildMain.class, role,
                store.toString(), dir.toString(), role.equals("writer") ? name : "-", Integer.toString(seed)))
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        return new Child(name, p);
    }

    private Path keysFile(String name, List<Child> of) throws IOException {
        Set<String> keys = new LinkedHashSet<>();
        for (Child c : of) {
            keys.addAll(c.acks);
        }
        Path f = tmp.resolve(name + ".keys");
        Files.write(f, keys);
        return f;
    }

    private static long lines(Path f) throws IOException {
        return Files.readAllLines(f).size();
    }

    /**
     * Bytes of every segment file in the store (writer zero's, every writer's), each segment once:
     * a walk that races a rename (sealing, or eviction to {@code .deleted}) may list both names.
     */
    static long storeBytes(Path store) throws IOException {
        Map<Long, Long> sizes = new HashMap<>();
        try (Stream<Path> s = Files.walk(store)) {
            s.forEach(p -> SegmentPath.parse(p.getFileName().toString()).ifPresent(seg -> {
                try {
                    sizes.merge(seg.segmentId(), Files.size(p), Math::max);
                } catch (IOException e) {
                    // evicted while we walked
                }
            }));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return sizes.values().stream().mapToLong(Long::longValue).sum();
    }

    /** One child process, its acknowledged keys and its answers. */
    private final class Child {
        final String name;
        final Process process;
        final String id;
        final Set<String> acks = ConcurrentHashMap.newKeySet();
        /** The acknowledgements in order. */
        final List<String> ackLog = java.util.Collections.synchronizedList(new ArrayList<>());
        final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        final PrintWriter in;

        Child(String name, Process process) throws IOException {
            this.name = name;
            this.process = process;
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("READY"), () -> name + " failed to start: " + stderr());
            this.id = ready.substring(5).trim();
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("ACK ")) {
                            ackLog.add(line.substring(4));
                            acks.add(line.substring(4));
                        } else if (line.startsWith("WRONG ")) {
                            synchronized (wrong) {
                                wrong.add(name + ": " + line);
                            }
                        } else {
                            answers.add(line);
                        }
                    }
                } catch (IOException e) {
                    // the process died
                }
            });
        }

        String ask(String command) throws InterruptedException {
            in.println(command);
            String a = answers.poll(60, TimeUnit.SECONDS);
            assertTrue(a != null, () -> name + " did not answer " + command + ": " + stderr());
            return a;
        }

        void waitAcks(int n, int seconds) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (acks.size() < n && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(acks.size() >= n, () -> name + " acknowledged " + acks.size() + " of " + n + ": " + stderr());
        }

        /** Waits until the writer's dump budget is spent (STATUS shows 0 left). */
        void waitDumped(int seconds) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!ask("STATUS").endsWith(" 0 left") && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(ask("STATUS").endsWith(" 0 left"), () -> name + " did not finish dumping: " + stderr());
        }

        /** Asks CHECK until every key of {@code file} loads right, or {@code seconds} pass. */
        void waitCheck(Path file, int seconds) throws Exception {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            String last;
            do {
                last = ask("CHECK " + file);
                String[] p = last.split(" ");
                if (p[1].equals(p[2])) {
                    return;
                }
                Thread.sleep(50);
            } while (System.nanoTime() < until);
            String l = last;
            throw new AssertionError(name + ": " + l + " of " + file.getFileName() + " loadable: " + stderr());
        }

        String stderr() {
            try {
                String e = Files.readString(tmp.resolve(name).resolve("stderr.txt"));
                return e.length() > 4000 ? e.substring(e.length() - 4000) : e;
            } catch (IOException e) {
                return "(no stderr)";
            }
        }
    }
}
