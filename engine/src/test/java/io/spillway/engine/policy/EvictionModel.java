package io.spillway.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * A reference eviction order kept in a plain list, and a seeded random run that drives a policy
 * and the reference side by side. The list is the whole specification: admit appends an item not
 * yet present, remove deletes it, touch moves it to the end (LRU) or does nothing (FIFO), and the
 * victim is the first item the predicate accepts.
 */
final class EvictionModel {

    private final List<Integer> order = new ArrayList<>();
    private final boolean touchMoves;

    EvictionModel(boolean touchMoves) {
        this.touchMoves = touchMoves;
    }

    void admit(int item) {
        if (!order.contains(item)) {
            order.add(item);
        }
    }

    void touch(int item) {
        if (touchMoves && order.remove(Integer.valueOf(item))) {
            order.add(item);
        }
    }

    void remove(int item) {
        order.remove(Integer.valueOf(item));
    }

    Integer victim(Predicate<Integer> evictable) {
        return order.stream().filter(evictable).findFirst().orElse(null);
    }

    int size() {
        return order.size();
    }

    /** {@code policy} with {@code items} admitted, in order. */
    static <P extends EvictionPolicy<Long>> P admitted(P policy, long... items) {
        for (long item : items) {
            policy.admit(item);
        }
        return policy;
    }

    /**
     * Runs {@code ops} random operations on {@code policy} and on a fresh model, from {@code
     * seed}, over item ids 0 to {@code items - 1} (so admissions of present items, touches and
     * removals of absent ones all happen), and checks after each that both name the same victim,
     * under a random predicate, and hold as many items. One operation in eight evicts: takes the
     * victim and removes it, as the GC does.
     */
    static void check(EvictionPolicy<Integer> policy, boolean touchMoves, long seed, int ops, int items) {
        EvictionModel model = new EvictionModel(touchMoves);
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder trace = new StringBuilder();
        for (int op = 0; op < ops; op++) {
            int item = r.nextInt(items);
            int kind = r.nextInt(8);
            switch (kind) {
                case 0, 1, 2 -> {
                    policy.admit(item);
                    model.admit(item);
                    trace.append(" admit(").append(item).append(')');
                }
                case 3, 4 -> {
                    policy.touch(item);
                    model.touch(item);
                    trace.append(" touch(").append(item).append(')');
                }
                case 5, 6 -> {
                    policy.remove(item);
                    model.remove(item);
                    trace.append(" remove(").append(item).append(')');
                }
                default -> {
                    Integer v = model.victim(k -> true);
                    assertEquals(v, policy.victim(k -> true), () -> "seed " + seed + ":" + trace);
                    if (v != null) {
                        policy.remove(v);
                        model.remove(v);
                    }
                    trace.append(" evict=").append(v);
                }
            }
            long refused = r.nextLong(); // a random set of refused items, as the GC's predicate refuses open segments
            Predicate<Integer> evictable = k -> (refused >>> (k % 64) & 1) == 0;
            assertEquals(model.victim(evictable), policy.victim(evictable), () -> "seed " + seed + ":" + trace);
            assertEquals(model.size(), policy.size(), () -> "seed " + seed + ":" + trace);
        }
    }
}
