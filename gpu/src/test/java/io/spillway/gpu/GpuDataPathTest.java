package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.engine.config.ByteSize;
import io.spillway.engine.config.StoreConfig;
import io.spillway.engine.api.BlockKey;
import io.spillway.engine.PinnedRecord;
import io.spillway.engine.SegmentStore;
import io.spillway.segments.CorruptRecordException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU data path on a real GPU, small. Skipped (reported as skipped) where CUDA is missing;
 * gpu/device-test.sh runs the full-size checks and the bandwidth table on the GPU machine.
 */
class GpuDataPathTest {

    private static final int LAYERS = 4;
    private static final int BLOCKS = 64;
    private static final Duration T = Duration.ofSeconds(60);

    private GpuDevice dev;
    private final List<DeviceBuffer> layers = new ArrayList<>();
    private KvLayout layout;
    private DeviceBuffer counter;

    @BeforeEach
    void open() {
        assumeTrue(Cuda.isAvailable(), () -> "no usable GPU: " + Cuda.unavailableReason().orElse(""));
        dev = GpuDevice.open(0);
        long[] bases = new long[LAYERS];
        long chunk = 16 * 8 * 128 * 2;
        for (int l = 0; l < LAYERS; l++) {
            DeviceBuffer b = dev.allocate(2L * BLOCKS * chunk);
            layers.add(b);
            bases[l] = b.address();
        }
        layout = KvLayout.vllmPaged(bases, BLOCKS, 16, 8, 128, 2);
        counter = dev.allocate(8);
    }

    @AfterEach
    void close() {
        if (dev != null) {
            layers.forEach(DeviceBuffer::close);
            counter.close();
            dev.close();
        }
    }

    private void fill(BlockCopier c, long seed) {
        for (int l = 0; l < LAYERS; l++) {
            c.fillRandom(layers.get(l), seed + l);
        }
    }

    @Test
    void gatherThenScatterIntoOtherBlocksMatchesOnTheGpu() throws Exception {
        try (BlockCopier c = new BlockCopier(dev, layout, 2);
                PinnedStagingPool pool = new PinnedStagingPool(dev, 16L << 20, 32L << 20)) {
            fill(c, System.nanoTime());
            int[] src = {0, 5, 9, 2, 7, 30, 31, 1};
            int[] dst = {40, 33, 63, 50, 41, 32, 60, 34};
            assertTrue(c.countMismatches(src, dst, counter) > 0, "random blocks must differ before the copy");
            try (PinnedStagingPool.PinnedBuffer buf = pool.acquire(T)) {
                long[] host = new long[src.length];
                for (int i = 0; i < src.length; i++) {
                    host[i] = buf.address() + i * layout.blockBytes();
                }
                for (BlockCopier.Method g : BlockCopier.Method.values()) {
                    for (BlockCopier.Method s : BlockCopier.Method.values()) {
                        fill(c, System.nanoTime());
                        c.gather(src, host, g);
                        c.scatter(host, dst, s);
                        assertEquals(0, c.countMismatches(src, dst, counter), g + " gather, " + s + " scatter");
                        fill(c, System.nanoTime());
                        c.gather(src, host, g);
                        try (BlockCopier.LayerwiseLoad ll = c.scatterLayerwise(host, dst, s)) {
                            assertEquals(LAYERS, ll.layers());
                            for (int l = 0; l < LAYERS; l++) {
                                ll.awaitLayer(l);
                            }
                        }
                        assertEquals(0, c.countMismatches(src, dst, counter), g + " gather, " + s + " layer-wise scatter");
                    }
                }
            }
        }
    }

    @Test
    void storeRoundTripThroughPinnedStagingAndGdsOrItsFallback(@TempDir Path dir) throws Exception {
        List<BlockKey> keys = new ArrayList<>();
        BlockKey parent = BlockKey.ROOT;
        for (int i = 0; i < 16; i++) {
            parent = BlockKey.chain(parent, new int[] {i}, "gpu-test");
            keys.add(parent);
        }
        int[] src = new int[16];
        int[] dst = new int[16];
        for (int i = 0; i < 16; i++) {
            src[i] = i;
            dst[i] = 63 - i;
        }
        StoreConfig cfg = StoreConfig.builder().storageBackend(dir).streamNumber(2).kvBlockSize(ByteSize.ofKiB(256))
                .segmentSize(ByteSize.ofMiB(64)).build();
        GpuConfig gcfg = GpuConfig.defaults().withStaging(8L << 20, 2L << 20);
        try (BlockStore store = BlockStore.open(cfg)) {
            for (boolean kernel : new boolean[] {false, true}) {
                try (GpuBlockStore gs = new GpuBlockStore(store, dev, gcfg.withKernelCopy(kernel, kernel), layout)) {
                    fill(gs.copier(), System.nanoTime());
                    Outcome[] d = gs.dump(kernel ? keys.subList(8, 16) : keys.subList(0, 8),
                            Arrays.copyOfRange(src, kernel ? 8 : 0, kernel ? 16 : 8), T);
                    assertTrue(Arrays.stream(d).allMatch(o -> o == Outcome.OK), Arrays.toString(d));
                    Outcome[] l = gs.load(kernel ? keys.subList(8, 16) : keys.subList(0, 8),
                            Arrays.copyOfRange(dst, kernel ? 8 : 0, kernel ? 16 : 8), T);
                    assertTrue(Arrays.stream(l).allMatch(o -> o == Outcome.OK), Arrays.toString(l));
                    assertEquals(0, gs.copier().countMismatches(Arrays.copyOfRange(src, kernel ? 8 : 0, kernel ? 16 : 8),
                            Arrays.copyOfRange(dst, kernel ? 8 : 0, kernel ? 16 : 8), counter));
                }
            }
        }
        // Layer-wise: a load whose layers become usable one event at a time.
        try (BlockStore store = BlockStore.open(cfg);
                GpuBlockStore gs = new GpuBlockStore(store, dev, gcfg, layout)) {
            int[] from = Arrays.copyOfRange(src, 0, 8);
            int[] into = {48, 49, 50, 51, 52, 53, 54, 55};
            List<BlockKey> lk = new ArrayList<>();
            BlockKey p = BlockKey.ROOT;
            for (int i = 0; i < 8; i++) {
                p = BlockKey.chain(p, new int[] {i}, "gpu-test-layerwise");
                lk.add(p);
            }
            Outcome[] d = gs.dump(lk, from, T);
            assertTrue(Arrays.stream(d).allMatch(o -> o == Outcome.OK), Arrays.toString(d));
            gs.copier().deviceToDevice(Arrays.copyOfRange(src, 8, 16), into); // differ from the dumped blocks
            assertTrue(gs.copier().countMismatches(from, into, counter) > 0);
            try (GpuBlockStore.LayerwiseResult r = gs.loadLayerwise(lk, into, T)) {
                assertTrue(Arrays.stream(r.outcomes()).allMatch(o -> o == Outcome.OK));
                for (int l = 0; l < LAYERS; l++) {
                    r.layers().awaitLayer(l);
                }
            }
            assertEquals(0, gs.copier().countMismatches(from, into, counter), "layer-wise load from the store");
        }
        // Reopened (its segments sealed): read one pinned record straight to the GPU, with cuFile
        // tried and forced off, and compare with the store's own verified read of it.
        try (SegmentStore store = SegmentStore.open(cfg); Arena a = Arena.ofConfined();
                PinnedRecord pin = store.pin(keys.getFirst()).orElseThrow()) {
            MemorySegment want = a.allocate(pin.readLength(), 4096);
            pin.readVerified(want);
            for (boolean useCufile : new boolean[] {true, false}) {
                try (PinnedStagingPool pool = new PinnedStagingPool(dev, 2L << 20, 4L << 20);
                        DeviceFileReader reader = DeviceFileReader.open(dev, gcfg.withCufile(useCufile), pool);
                        DeviceBuffer target = dev.allocate(layout.blockBytes());
                        PinnedStagingPool.PinnedBuffer host = pool.acquire(T)) {
                    reader.readVerified(pin, target.address());
                    assertEquals(1, reader.cufileReads() + reader.posixReads());
                    if (!useCufile) {
                        assertEquals(1, reader.posixReads(), "use_cufile: false forces POSIX");
                    }
                    JCudaDriver.cuMemcpyDtoH(JCudaAccess.hostPtr(host.address()), target.ptr(), layout.blockBytes());
                    assertArrayEquals(want.asSlice(0, layout.blockBytes()).toArray(ValueLayout.JAVA_BYTE),
                            host.segment().asSlice(0, layout.blockBytes()).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            // A flipped byte is refused, also through the GPU path.
            try (FileChannel ch = FileChannel.open(pin.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, pin.location().payloadOffset() + 7);
                b.put(0, (byte) (b.get(0) ^ 1));
                ch.write(b.rewind(), pin.location().payloadOffset() + 7);
            }
            try (PinnedStagingPool pool = new PinnedStagingPool(dev, 2L << 20, 4L << 20);
                    DeviceFileReader reader = DeviceFileReader.open(dev, gcfg.withCufile(false), pool);
                    DeviceBuffer target = dev.allocate(layout.blockBytes())) {
                assertThrows(CorruptRecordException.class, () -> reader.readVerified(pin, target.address()));
            }
        }
    }
}
