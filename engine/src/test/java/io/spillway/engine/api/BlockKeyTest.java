package io.spillway.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BlockKeyTest {

    private static final String NS = new KeyNamespace("meta-llama/Llama-3.1-8B", 0, 1, "bfloat16").canonical();

    /*
     * Golden values, computed independently (Python hashlib) from the encoding documented on
     * BlockKey.chain: SHA-256("spillway.block-chain.v1" || le32(len ns) || ns || parent ||
     * le32(n) || le32 tokens...). A change here breaks every key already on disk and every peer
     * that shares the store: change the domain tag's version instead.
     */
    private static final String GOLDEN_FIRST = "3e0557917ecdc4c6a6b74780775c0d4ea0a16d1c8a6edbbf374c2f9458d4f38d";
    private static final String GOLDEN_SECOND = "bad22f17a3b5ae01eab66215408b1d4dfbb37d11de5aef9a3b87f2cc9e41b58b";
    private static final String GOLDEN_EMPTY = "a8ca51e19b385c68ed408071fcc08607a288613806e065eeea37cfa1a4f47006";
    private static final String GOLDEN_UTF8 = "4b4b0244ae0cbe2a9870406c3ae8ffebc6b27ee1ebf45763fc1a80e8a70aacdd";

    @Test
    void chainMatchesPinnedGoldenValues() {
        assertEquals("meta-llama/Llama-3.1-8B|tp=0/1|bfloat16", NS);
        BlockKey first = BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3, 4, 5, 6, 7, 8}, NS);
        assertEquals(GOLDEN_FIRST, first.toHex());
        BlockKey second = BlockKey.chain(first, new int[] {9, 10, -1, Integer.MAX_VALUE}, NS);
        assertEquals(GOLDEN_SECOND, second.toHex());
        assertEquals(GOLDEN_EMPTY, BlockKey.chain(BlockKey.ROOT, new int[0], "").toHex());
        assertEquals(GOLDEN_UTF8, BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3}, "modèle|x").toHex());
    }

    @Test
    void chainIsDeterministic() {
        int[] tokens = {5, 6, 7, 8};
        BlockKey a = BlockKey.chain(BlockKey.ROOT, tokens, NS);
        BlockKey b = BlockKey.chain(BlockKey.fromHex(BlockKey.ROOT.toHex()), tokens.clone(), new String(NS.toCharArray()));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(0, a.compareTo(b));
    }

    @Test
    void chainDiffersByNamespaceParentAndTokens() {
        int[] tokens = {1, 2, 3, 4};
        BlockKey base = BlockKey.chain(BlockKey.ROOT, tokens, NS);
        Set<BlockKey> keys = new HashSet<>();
        keys.add(base);
        keys.add(BlockKey.chain(BlockKey.ROOT, tokens, new KeyNamespace("meta-llama/Llama-3.1-8B", 1, 2, "bfloat16").canonical()));
        keys.add(BlockKey.chain(BlockKey.ROOT, tokens, new KeyNamespace("meta-llama/Llama-3.1-8B", 0, 1, "float16").canonical()));
        keys.add(BlockKey.chain(BlockKey.ROOT, tokens, new KeyNamespace("meta-llama/Llama-3.1-70B", 0, 1, "bfloat16").canonical()));
        keys.add(BlockKey.chain(base, tokens, NS));
        keys.add(BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3, 5}, NS));
        keys.add(BlockKey.chain(BlockKey.ROOT, new int[] {2, 1, 3, 4}, NS));
        keys.add(BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3}, NS));
        keys.add(BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3, 4, 0}, NS));
        assertEquals(9, keys.size(), "every input change must change the key");
    }

    @Test
    void lengthPrefixesPreventConcatenationCollisions() {
        // Without length prefixes, ("ab", tokens) and ("a", "b"+tokens) could hash the same bytes.
        assertNotEquals(BlockKey.chain(BlockKey.ROOT, new int[] {1}, "ab"), BlockKey.chain(BlockKey.ROOT, new int[] {1}, "a"));
        assertNotEquals(BlockKey.chain(BlockKey.ROOT, new int[] {0}, ""), BlockKey.chain(BlockKey.ROOT, new int[0], "\0\0\0\0"));
    }

    @Test
    void chainAllChainsEachBlockToThePreviousAndDropsThePartialTail() {
        int[] tokens = new int[10];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i + 1;
        }
        BlockKey[] keys = BlockKey.chainAll(tokens, 4, NS);
        assertEquals(2, keys.length);
        assertEquals(BlockKey.chain(BlockKey.ROOT, new int[] {1, 2, 3, 4}, NS), keys[0]);
        assertEquals(BlockKey.chain(keys[0], new int[] {5, 6, 7, 8}, NS), keys[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockKey.chainAll(tokens, 0, NS));
        assertTrue(e.getMessage().contains("blockTokens"), e.getMessage());
    }

    @Test
    void hexRoundTrip() {
        BlockKey k = BlockKey.chain(BlockKey.ROOT, new int[] {42}, NS);
        String hex = k.toHex();
        assertEquals(64, hex.length());
        assertEquals(hex.toLowerCase(), hex);
        assertEquals(k, BlockKey.fromHex(hex));
        assertEquals(k, BlockKey.fromHex(hex.toUpperCase()));
        assertEquals(hex, k.toString());
        assertEquals(hex.substring(0, 12), k.shortHex());
        assertEquals("0".repeat(64), BlockKey.ROOT.toHex());
    }

    @Test
    void bytesAndMemorySegmentRoundTrip() {
        BlockKey k = BlockKey.chain(BlockKey.ROOT, new int[] {7}, NS);
        byte[] b = k.toBytes();
        assertEquals(BlockKey.BYTES, b.length);
        assertEquals(k, BlockKey.of(b));
        b[0] ^= 1; // toBytes is a copy, and of() copies too
        assertNotEquals(k, BlockKey.of(b));
        assertArrayEquals(k.toBytes(), BlockKey.fromHex(k.toHex()).toBytes());
        byte[] dst = new byte[40];
        k.write(dst, 5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(64);
            k.write(seg, 17);
            assertEquals(k, BlockKey.read(seg, 17));
            assertEquals(k, BlockKey.read(MemorySegment.ofArray(dst), 5));
        }
    }

    @Test
    void badLengthsAreRefusedWithClearMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockKey.of(new byte[31]));
        assertTrue(e.getMessage().contains("32 bytes") && e.getMessage().contains("31"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BlockKey.of(new byte[33]));
        assertTrue(e.getMessage().contains("33"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BlockKey.fromHex("abc"));
        assertTrue(e.getMessage().contains("64 hex digits") && e.getMessage().contains("got 3") && e.getMessage().contains("'abc'"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BlockKey.fromHex("0".repeat(66)));
        assertTrue(e.getMessage().contains("got 66"), e.getMessage());
        String notHex = "g" + "0".repeat(63);
        e = assertThrows(IllegalArgumentException.class, () -> BlockKey.fromHex(notHex));
        assertTrue(e.getMessage().contains("not a hex block key") && e.getMessage().contains(notHex), e.getMessage());
        assertThrows(NullPointerException.class, () -> BlockKey.of((byte[]) null));
        assertThrows(NullPointerException.class, () -> BlockKey.fromHex(null));
        assertThrows(NullPointerException.class, () -> BlockKey.chain(null, new int[0], NS));
        assertThrows(NullPointerException.class, () -> BlockKey.chain(BlockKey.ROOT, null, NS));
        assertThrows(NullPointerException.class, () -> BlockKey.chain(BlockKey.ROOT, new int[0], null));
    }

    @Test
    void keysCompareAsUnsignedBytes() {
        byte[] low = new byte[32];
        byte[] high = new byte[32];
        low[0] = 0x7f;
        high[0] = (byte) 0x80; // negative as a signed byte, greater unsigned
        assertTrue(BlockKey.of(low).compareTo(BlockKey.of(high)) < 0);
        assertTrue(BlockKey.ROOT.compareTo(BlockKey.of(low)) < 0);
    }

    @Test
    void namespaceCanonicalFormAndEscaping() {
        assertEquals("m|tp=1/4|fp8", new KeyNamespace("m", 1, 4, "fp8").canonical());
        assertEquals("m|tp=1/4|fp8", new KeyNamespace("m", 1, 4, "fp8").toString());
        // '|' and '\' are escaped, so fields cannot bleed into each other.
        assertEquals("a\\|tp=0/1|tp=0/1|b", new KeyNamespace("a|tp=0/1", 0, 1, "b").canonical());
        assertEquals("a\\\\|tp=0/1|b", new KeyNamespace("a\\", 0, 1, "b").canonical());
        assertEquals("a\\\\\\||tp=0/1|b", new KeyNamespace("a\\|", 0, 1, "b").canonical());
        assertEquals("m|tp=0/1|x\\|y", new KeyNamespace("m", 0, 1, "x|y").canonical());
        // Two namespaces that would collide without escaping.
        KeyNamespace x = new KeyNamespace("a|b", 0, 1, "c");
        KeyNamespace y = new KeyNamespace("a", 0, 1, "b|c");
        assertNotEquals(x.canonical(), y.canonical());
        KeyNamespace p = new KeyNamespace("a\\", 0, 1, "|b");
        KeyNamespace q = new KeyNamespace("a\\|", 0, 1, "b");
        assertNotEquals(p.canonical(), q.canonical());
    }

    @Test
    void namespaceRefusesBadValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KeyNamespace(" ", 0, 1, "fp16"));
        assertTrue(e.getMessage().contains("model"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new KeyNamespace("m", 2, 2, "fp16"));
        assertTrue(e.getMessage().contains("tpRank=2") && e.getMessage().contains("tpSize=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KeyNamespace("m", -1, 2, "fp16"));
        assertThrows(IllegalArgumentException.class, () -> new KeyNamespace("m", 0, 0, "fp16"));
        assertThrows(NullPointerException.class, () -> new KeyNamespace(null, 0, 1, "fp16"));
        assertThrows(NullPointerException.class, () -> new KeyNamespace("m", 0, 1, null));
    }
}
