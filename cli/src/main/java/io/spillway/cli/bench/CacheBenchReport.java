package io.spillway.cli.bench;

import java.util.List;

/**
 * The DRAM tier's figures ({@code spillway bench --cache}), medians of the runs.
 *
 * @param hits per block size: DRAM-hit loads against a plain memcpy of the same slot bytes in
 *     the same run, through the cross-process reader and through the tier's task API, with the
 *     CRC32C check while copying (the default), before copying, and without it
 * @param zipf the Zipf mix at a DRAM capacity of 10% of the working set
 * @param reopen time to the first hit after reopening a warm arena
 */
public record CacheBenchReport(List<HitResult> hits, ZipfResult zipf, ReopenResult reopen) {

    /**
     * One block size. GB/s are single-threaded; ratios are against {@code memcpyGbps}. "Crc" is
     * {@code cache_verify: while_copying}, "CrcFirst" {@code before_copying}.
     *
     * @param workingSetBytes the bytes of the blocks read, in random order (larger than the CPU caches)
     */
    public record HitResult(long blockSize, long workingSetBytes, double memcpyGbps, double readerCrcGbps,
                            double readerCrcFirstGbps, double readerNoCrcGbps, double taskCrcGbps, double taskNoCrcGbps,
                            double readerCrcOfMemcpy, double readerCrcFirstOfMemcpy, double readerNoCrcOfMemcpy,
                            double taskCrcOfMemcpy, double taskNoCrcOfMemcpy) {
    }

    /**
     * @param keys the working set, in blocks
     * @param capacityBlocks the DRAM tier's slots (10% of the working set) and the exact LRU's capacity
     * @param hitRatio the DRAM tier's (S3-FIFO by default) hit ratio over the trace
     * @param lruHitRatio an exact LRU cache's over the same trace
     * @param ofLru {@code hitRatio / lruHitRatio}
     * @param pipelineGbps Zipf loads through {@code Cache|Disk} (misses read from disk and promoted)
     * @param diskGbps the same loads from the disk tier alone
     */
    public record ZipfResult(int keys, int capacityBlocks, long requests, double zipfExponent, String policy, double hitRatio,
                             double lruHitRatio, double ofLru, long pipelineBlockSize, int pipelineKeys, double pipelineGbps,
                             double diskGbps, double pipelineOverDisk, double pipelineDramHitRatio) {
    }

    /**
     * @param arenaBytes the arena reopened
     * @param blocks the blocks it held
     * @param reopenMs opening the warm arena (its index checked against every slot header)
     * @param firstHitMs from the start of the open to the first block loaded and verified
     * @param firstOpenInProcessMs the first open of a cache in this process (Chronicle Map's classes load then)
     */
    public record ReopenResult(long arenaBytes, int blocks, double reopenMs, double firstHitMs, double firstOpenInProcessMs) {
    }
}
