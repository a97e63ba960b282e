package io.spillway.cli;

import io.spillway.engine.api.BlockKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's simulated inference traffic, a pure function of its parameters and seed.
 *
 * <p>A few shared prefixes (system prompts or documents, {@value #MIN_PREFIX_BLOCKS} to
 * {@value #MAX_PREFIX_BLOCKS} blocks each) are reused by many requests. Each request is one
 * prefix plus a unique suffix of {@value #MIN_SUFFIX_BLOCKS} to {@value #MAX_SUFFIX_BLOCKS}
 * blocks; in round 2 the same request comes back (a follow-up turn) with
 * {@value #MIN_EXTENSION_BLOCKS} to {@value #MAX_EXTENSION_BLOCKS} new blocks after it. Token ids
 * are random, so keys are too, and the prefix-chain keys make shared prefixes share keys.
 *
 * @param requests the requests, in arrival order
 * @param prefixCount how many shared prefixes they draw from
 * @param blockTokens tokens per block
 * @param namespace the key namespace
 */
public record DemoWorkload(List<Request> requests, int prefixCount, int blockTokens, String namespace) {

    static final int MIN_PREFIX_BLOCKS = 8;
    static final int MAX_PREFIX_BLOCKS = 16;
    static final int MIN_SUFFIX_BLOCKS = 2;
    static final int MAX_SUFFIX_BLOCKS = 6;
    static final int MIN_EXTENSION_BLOCKS = 1;
    static final int MAX_EXTENSION_BLOCKS = 3;
    /** Token ids are drawn below this (a Llama-3-sized vocabulary). */
    static final int VOCABULARY = 128_256;
    /** Shared prefixes when there are enough requests to share them. */
    static final int DEFAULT_PREFIXES = 4;

    /**
     * One request of both rounds.
     *
     * @param id its number, from 0
     * @param prefix which shared prefix it starts with
     * @param prefixBlocks the blocks of that prefix
     * @param firstTurnKeys keys of round 1: prefix then the unique suffix
     * @param secondTurnKeys keys of round 2: {@code firstTurnKeys} then the new blocks
     */
    public record Request(int id, int prefix, int prefixBlocks, List<BlockKey> firstTurnKeys, List<BlockKey> secondTurnKeys) {

        /** The blocks round 2 adds. */
        public List<BlockKey> newKeys() {
            return secondTurnKeys.subList(firstTurnKeys.size(), secondTurnKeys.size());
        }
    }

    /** {@code requests} requests over {@code min(4, requests)} prefixes. */
    public static DemoWorkload generate(int requests, long seed, int blockTokens, String namespace) {
        return generate(requests, Math.min(DEFAULT_PREFIXES, Math.max(1, requests)), seed, blockTokens, namespace);
    }

    public static DemoWorkload generate(int requests, int prefixCount, long seed, int blockTokens, String namespace) {
        if (requests < 1) {
            throw new IllegalArgumentException("need at least one request, got " + requests);
        }
        if (prefixCount < 1) {
            throw new IllegalArgumentException("need at least one prefix, got " + prefixCount);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[][] prefixes = new int[prefixCount][];
        for (int p = 0; p < prefixCount; p++) {
            prefixes[p] = tokens(random, between(random, MIN_PREFIX_BLOCKS, MAX_PREFIX_BLOCKS) * blockTokens);
        }
        List<Request> out = new ArrayList<>(requests);
        for (int r = 0; r < requests; r++) {
            // The first requests cover every prefix once, so each prefix is dumped by somebody.
            int p = r < prefixCount ? r : random.nextInt(prefixCount);
            int[] suffix = tokens(random, between(random, MIN_SUFFIX_BLOCKS, MAX_SUFFIX_BLOCKS) * blockTokens);
            int[] extension = tokens(random, between(random, MIN_EXTENSION_BLOCKS, MAX_EXTENSION_BLOCKS) * blockTokens);
            int[] first = concat(prefixes[p], suffix);
            int[] second = concat(first, extension);
            out.add(new Request(r, p, prefixes[p].length / blockTokens,
                    List.of(BlockKey.chainAll(first, blockTokens, namespace)),
                    List.of(BlockKey.chainAll(second, blockTokens, namespace))));
        }
        return new DemoWorkload(List.copyOf(out), prefixCount, blockTokens, namespace);
    }

    /** Distinct keys of round 1 (what a store holds after it). */
    public long distinctFirstTurnBlocks() {
        return requests.stream().flatMap(r -> r.firstTurnKeys().stream()).distinct().count();
    }

    /** Blocks of every round-2 request, counted per request as UCM's total_blocks_num does. */
    public long secondTurnBlocks() {
        return requests.stream().mapToLong(r -> r.secondTurnKeys().size()).sum();
    }

    private static int between(SplittableRandom random, int min, int max) {
        return random.nextInt(min, max + 1);
    }

    private static int[] tokens(SplittableRandom random, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = random.nextInt(VOCABULARY);
        }
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
