package io.spillway.engine.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.TaskResult;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.Capacity;
import io.spillway.engine.config.StoreConfig;
import io.spillway.testkit.Payloads;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared capacity's tickets: never more than the capacity holds, and given back exactly when a segment is gone. */
class SpaceTicketsTest {

    private static final long SEG = 1 << 20;

    @TempDir
    Path tmp;

    private List<Path> roots() throws Exception {
        return List.of(Files.createDirectories(tmp.resolve("store")));
    }

    private Path ownDir(String writer) throws Exception {
        return Files.createDirectories(Layout.writer(tmp.resolve("store"), writer));
    }

    private static void segmentFile(Path dir, long id, String suffix) throws Exception {
        Files.writeString(dir.resolve(String.format("seg-%016x%s", id, suffix)), "x");
    }

    /** Takes a ticket for segment {@code id}, then creates its file: a ticket pending creation survives a refresh. */
    private static void create(SpaceTickets t, Path dir, long id, String suffix) throws Exception {
        assertTrue(t.admit(id));
        assertEquals(0, t.refresh(), "an admitted segment whose file is not created yet keeps its ticket");
        segmentFile(dir, id, suffix);
        t.created(id);
    }

    /** Writer a's tickets with one of each kind: segment 1's file created with {@code suffix}, segment 2 admitted, its file not yet. */
    private SpaceTickets createdAndAdmitted(long capacity, String suffix) throws Exception {
        Path dir = ownDir("a");
        SpaceTickets t = new SpaceTickets(roots(), "a", List.of(dir), capacity, SEG);
        create(t, dir, 1, suffix);
        assertTrue(t.admit(2));
        return t;
    }

    /** Eight writers (each its own ticket holder, as eight processes would be) race for 10 tickets: exactly 10 are held. */
    @Test
    void racingWritersNeverHoldMoreTicketsThanTheCapacityHolds() throws Exception {
        List<Path> roots = roots();
        List<SpaceTickets> writers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            writers.add(new SpaceTickets(roots, "w" + w, List.of(ownDir("w" + w)), 10 * SEG + SEG / 2, SEG));
        }
        AtomicLong ids = new AtomicLong(1);
        Set<Long> admitted = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (SpaceTickets t : writers) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 20; i++) {
                        long id = ids.getAndIncrement();
                        if (t.admit(id)) {
                            admitted.add(id);
                            t.created(id);
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(10, admitted.size(), "admitted " + admitted);
        assertEquals(10, SpaceTickets.taken(roots.getFirst()));
        assertEquals(10, writers.stream().mapToInt(SpaceTickets::held).sum());
        assertFalse(writers.getFirst().admit(ids.getAndIncrement()), "no ticket is left");
        assertEquals(List.of(), Files.list(roots.getFirst().resolve("space")).filter(p -> p.getFileName().toString().startsWith("."))
                .toList(), "no temporary file is left behind");
    }

    @Test
    void aTicketIsGivenBackOnlyOnceItsSegmentIsGoneInEveryState() throws Exception {
        List<Path> roots = roots();
        Path dir = ownDir("a");
        SpaceTickets t = createdAndAdmitted(2 * SEG, ".open");
        t.abandoned(2);
        assertEquals(1, SpaceTickets.taken(roots.getFirst()), "an abandoned segment's ticket is given back at once");
        Files.move(dir.resolve(String.format("seg-%016x.open", 1)), dir.resolve(String.format("seg-%016x.deleted", 1)));
        assertEquals(0, t.refresh(), "a .deleted file still takes its space");
        Files.delete(dir.resolve(String.format("seg-%016x.deleted", 1)));
        assertEquals(1, t.refresh());
        assertEquals(0, SpaceTickets.taken(roots.getFirst()));
    }

    @Test
    void reopeningGivesBackTheTicketsOfSegmentsNeverCreatedAndKeepsTheOthers() throws Exception {
        List<Path> roots = roots();
        Path dir = ownDir("a");
        createdAndAdmitted(4 * SEG, ".seg"); // the process dies before it creates segment 2
        Files.writeString(roots.getFirst().resolve("space").resolve(".tmp-a-dead"), "a 3\n"); // and one inside a take
        SpaceTickets after = new SpaceTickets(roots, "a", List.of(dir), 4 * SEG, SEG);
        assertEquals(1, after.held());
        assertEquals(1, SpaceTickets.taken(roots.getFirst()));
        assertFalse(Files.exists(roots.getFirst().resolve("space").resolve(".tmp-a-dead")));
    }

    @Test
    void theGcOwnerGivesBackAnAdoptedWritersTicketsOfGoneSegmentsOnly() throws Exception {
        List<Path> roots = roots();
        SpaceTickets dead = new SpaceTickets(roots, "dead", List.of(ownDir("dead")), 4 * SEG, SEG);
        SpaceTickets live = new SpaceTickets(roots, "live", List.of(ownDir("live")), 4 * SEG, SEG);
        for (long id : new long[] {1, 2, 3}) {
            assertTrue(dead.admit(id));
        }
        assertTrue(live.admit(10));
        assertEquals(2, SpaceTickets.releaseGone(roots.getFirst(), "dead", Set.of(2L)));
        assertEquals(2, SpaceTickets.taken(roots.getFirst()), "the dead writer's segment 2 and the live writer's 10");
    }

    @Test
    void writerZerosSegmentsTakeTheirShareOfTheCapacity() throws Exception {
        List<Path> roots = roots();
        segmentFile(roots.getFirst(), 1, ".seg");
        segmentFile(roots.getFirst(), 2, ".seg");
        SpaceTickets t = new SpaceTickets(roots, "a", List.of(ownDir("a")), 3 * SEG, SEG);
        assertTrue(t.admit(1L << Layout.ID_BITS));
        assertFalse(t.admit((1L << Layout.ID_BITS) + 1), "two of the three segments are writer zero's");
    }

    /** Through the store: a writer at the shared capacity gets STORE_FULL instead of a segment past it. */
    @Test
    void aWriterWithoutATicketReportsTheStoreFull() throws Exception {
        StoreConfig c = StoreConfig.builder().storageBackend(tmp.resolve("store")).indexPath(tmp.resolve("local").resolve("index"))
                .segmentSize(ByteSize.ofMiB(1)).writeGroupSize(ByteSize.ofMiB(1)).streamNumber(1)
                .capacity(Capacity.of(ByteSize.ofMiB(4))).build();
        Files.createDirectories(tmp.resolve("store").resolve("space"));
        for (int n = 0; n < 4; n++) { // another writer holds every ticket
            Files.writeString(tmp.resolve("store").resolve("space").resolve(Integer.toString(n)), "other " + (100 + n) + "\n");
        }
        try (SharedStore s = SharedStore.open(c, new SimpleMeterRegistry()); Arena arena = Arena.ofShared()) {
            BlockKey k = SharedChildMain.key("tickets", 0);
            MemorySegment src = arena.allocate(64 << 10, 4096);
            Payloads.fill(src, k);
            TaskResult r = s.dump(List.of(k), List.of(src)).await(Duration.ofSeconds(60));
            assertEquals(Outcome.STORE_FULL, r.outcome(0), r.toString());
            assertEquals(4, SpaceTickets.taken(tmp.resolve("store").toRealPath()));
        }
    }
}
