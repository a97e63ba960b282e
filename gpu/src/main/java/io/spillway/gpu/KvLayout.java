package io.spillway.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Where an engine's KV cache lives on the GPU, as chunks: for engine block id {@code b}, chunk
 * {@code c} is {@code bytes} at {@code base + b * blockStride}. One store block is the
 * concatenation of every chunk of one engine block, in chunk order (layer 0's K, layer 0's V,
 * layer 1's K, ...), so one store block holds one engine block's KV across all layers: the seeds'
 * {@code kv_block_size} = 2 x layers x KV heads x head dim x dtype bytes x tokens per block.
 */
public final class KvLayout {

    /** One contiguous piece of every block, belonging to {@code layer}. */
    public record Chunk(long base, long blockStride, long bytes, int layer) {
    }

    private final List<Chunk> chunks;
    private final int numBlocks;
    private final int layers;
    private final long blockBytes;
    private final long[] offsets;

    public KvLayout(List<Chunk> chunks, int numBlocks) {
        if (chunks.isEmpty() || numBlocks <= 0) {
            throw new IllegalArgumentException("a KV layout needs chunks and blocks: " + chunks.size() + " chunks, "
                    + numBlocks + " blocks");
        }
        this.chunks = List.copyOf(chunks);
        this.numBlocks = numBlocks;
        this.offsets = new long[chunks.size()];
        long total = 0;
        int maxLayer = -1;
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            if (c.layer < maxLayer) {
                throw new IllegalArgumentException("chunks must be ordered by layer; chunk " + i + " is layer " + c.layer
                        + " after layer " + maxLayer);
            }
            maxLayer = c.layer;
            offsets[i] = total;
            total += c.bytes;
        }
        this.layers = maxLayer + 1;
        this.blockBytes = total;
    }

    /**
     * vLLM's paged layout: per layer one tensor {@code [2, num_blocks, block_size, num_kv_heads,
     * head_dim]} at {@code layerBases[l]}; K of block b at {@code base + b * chunk}, V at
     * {@code base + (num_blocks + b) * chunk}, with chunk = block_size x heads x head_dim x dtype.
     */
    public static KvLayout vllmPaged(long[] layerBases, int numBlocks, int blockSize, int numKvHeads, int headDim,
            int dtypeBytes) {
        long chunk = (long) blockSize * numKvHeads * headDim * dtypeBytes;
        List<Chunk> cs = new ArrayList<>();
        for (int l = 0; l < layerBases.length; l++) {
            cs.add(new Chunk(layerBases[l], chunk, chunk, l));
            cs.add(new Chunk(layerBases[l] + (long) numBlocks * chunk, chunk, chunk, l));
        }
        return new KvLayout(cs, numBlocks);
    }

    /** A contiguous per-block layout: block b is {@code blockBytes} at {@code base + b * blockBytes}. */
    public static KvLayout contiguous(long base, int numBlocks, long blockBytes) {
        return new KvLayout(List.of(new Chunk(base, blockBytes, blockBytes, 0)), numBlocks);
    }

    public List<Chunk> chunks() {
        return chunks;
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int layers() {
        return layers;
    }

    /** Bytes of one store block (all chunks of one engine block). */
    public long blockBytes() {
        return blockBytes;
    }

    /** Where chunk {@code c} starts inside a store block. */
    public long offsetInBlock(int c) {
        return offsets[c];
    }

    /** The device address of chunk {@code c} of engine block {@code block}. */
    public long address(int c, int block) {
        if (block < 0 || block >= numBlocks) {
            throw new IllegalArgumentException("block id " + block + " outside 0.." + (numBlocks - 1));
        }
        Chunk ch = chunks.get(c);
        return ch.base + block * ch.blockStride;
    }
}
