package io.spillway.gpu.check;

import static io.spillway.gpu.check.CheckSupport.MIB;
import static io.spillway.gpu.check.CheckSupport.TIMEOUT;
import static io.spillway.gpu.check.CheckSupport.allOk;
import static io.spillway.gpu.check.CheckSupport.keys;
import static io.spillway.gpu.check.CheckSupport.range;
import static io.spillway.gpu.check.CheckSupport.shuffled;
import static io.spillway.gpu.check.CheckSupport.summary;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Outcome;
import io.spillway.gpu.GpuBlockStore;
import io.spillway.gpu.GpuConfig;
import io.spillway.gpu.GpuDevice;
import io.spillway.gpu.IpcMemory;
import io.spillway.gpu.KvLayout;
import io.spillway.segments.io.FileTrees;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CUDA IPC with another process: the Python exporter allocates device memory and prints its IPC
 * handle and SHA-256; this process imports it, dumps it to a store, scrambles it through the
 * import, loads it back, and the exporter's SHA-256 must match its original.
 *
 * <p>The exporter's protocol, one line each way: it prints {@code HANDLE <hex> SHA256 <hex>}; each
 * {@code CHECK} line it reads is answered with {@code SHA256 <hex>} of its memory now; end of input
 * ends it.
 */
final class IpcCheck {

    private static final int BLOCKS = 64;
    private static final long BLOCK_BYTES = 2 * MIB;

    private IpcCheck() {
    }

    static void run(CheckLog log, GpuDevice dev, GpuConfig cfg, Path dir, Path exporter) throws Exception {
        FileTrees.deleteRecursively(dir);
        long size = BLOCKS * BLOCK_BYTES;
        Process p = new ProcessBuilder("python3", exporter.toString(), Long.toString(size))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
                Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII)) {
            String line = in.readLine();
            if (line == null || !line.startsWith("HANDLE ")) {
                log.check(false, "IPC exporter started: got " + line);
                return;
            }
            String[] f = line.split(" ");
            byte[] handle = HexFormat.of().parseHex(f[1]);
            String original = f[3];
            try (IpcMemory mem = IpcMemory.open(dev, handle, size);
                    BlockStore store = BlockStore.open(CheckSupport.storeConfig(dir));
                    GpuBlockStore gs = new GpuBlockStore(store, dev, cfg.withStaging(128 * MIB, 32 * MIB),
                            KvLayout.contiguous(mem.address(), BLOCKS, BLOCK_BYTES))) {
                List<BlockKey> keys = keys("ipc", BLOCKS);
                Outcome[] d = gs.dump(keys, range(0, BLOCKS), TIMEOUT);
                // Overwrite the exporter's memory through the import, then load it back.
                gs.copier().deviceToDevice(shuffled(0, BLOCKS, 4), range(0, BLOCKS));
                String scrambled = ask(w, in);
                Outcome[] l = gs.load(keys, range(0, BLOCKS), TIMEOUT);
                String restored = ask(w, in);
                log.check(allOk(d) && allOk(l) && !scrambled.equals(original) && restored.equals(original),
                        "CUDA IPC: dumped another process's memory, scrambled it, loaded it back; the exporter's SHA-256 "
                        + (restored.equals(original) ? "matches" : "DIFFERS") + " (" + summary(d) + " / " + summary(l) + ")");
            }
        } finally {
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                log.check(false, "IPC exporter exits within " + TIMEOUT.toSeconds() + " s of its input closing");
            }
        }
    }

    /** Asks the exporter for the SHA-256 of its memory now. */
    private static String ask(Writer w, BufferedReader in) throws Exception {
        w.write("CHECK\n");
        w.flush();
        String reply = in.readLine();
        if (reply == null || !reply.startsWith("SHA256 ")) {
            throw new IllegalStateException("IPC exporter answered CHECK with " + reply);
        }
        return reply.split(" ")[1];
    }
}
