package io.spillway.cli;

import io.spillway.gpu.check.GpuDeviceCheck;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code spillway gpu-check STORE_DIR [--blocks N] [--ipc-exporter SCRIPT]}: the GPU module's
 * device check ({@link GpuDeviceCheck}), which {@code gpu/device-test.sh --run} starts on the GPU
 * machine. Exit 0 when every check passed, 1 when one failed or no GPU is usable, 2 on bad
 * arguments.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = "Runs the GPU data path's device check on GPU 0: every correctness check, then a bandwidth table with "
                + "same-run references. Deletes and refills STORE_DIR. Exits 1 if a check fails or no GPU is usable.")
final class GpuCheckCommand extends CliCommand {

    @Parameters(index = "0", paramLabel = "STORE_DIR", description = "A directory the check may delete and fill.")
    Path storeDir;

    @Option(names = "--blocks", paramLabel = "N", defaultValue = "2048",
            description = "2 MiB store blocks per round trip, at least " + GpuDeviceCheck.MIN_BLOCKS
                    + " (the KV cache holds twice as many: 4 MiB of GPU memory each). Default: ${DEFAULT-VALUE}.")
    int blocks;

    @Option(names = "--ipc-exporter", paramLabel = "SCRIPT",
            description = "The Python CUDA IPC exporter (gpu/src/test/python/ipc_exporter.py); without it the IPC check is skipped.")
    Path ipcExporter;

    @Override
    public Integer call() throws Exception {
        if (blocks < GpuDeviceCheck.MIN_BLOCKS) {
            throw usageError("--blocks must be at least " + GpuDeviceCheck.MIN_BLOCKS + ", got " + blocks);
        }
        int rc = GpuDeviceCheck.run(storeDir, blocks, Optional.ofNullable(ipcExporter), out());
        return rc == 0 ? 0 : SpillwayCli.EXIT_FAILURE;
    }
}
