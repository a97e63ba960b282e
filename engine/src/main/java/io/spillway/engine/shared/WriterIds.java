package io.spillway.engine.shared;

import io.spillway.engine.config.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which writer this process is: {@code writer_id} when set; otherwise a name derived once,
 * {@code <host>-<8 random hex digits>}, and kept on local disk in {@code <index_path>.writer-id},
 * so it is unique per host and store and the same after a restart (the local index, which
 * belongs to that writer, sits beside it).
 *
 * <p>A writer that was adopted while it was away ({@code writers/<id>/ADOPTED} exists) never
 * writes there again: it takes a new id, a derived one freshly derived (and kept), a configured
 * one with a suffix {@code .<k>}, the first whose directory was never adopted.
 */
final class WriterIds {

    private WriterIds() {
    }

    static Path idFile(StoreConfig config) {
        Path index = config.indexPath().toAbsolutePath().normalize();
        return index.resolveSibling(index.getFileName() + ".writer-id");
    }

    /** The id to write under now (a fresh one if the remembered one was adopted). */
    static String resolve(StoreConfig config, Path firstBackend) throws IOException {
        String configured = config.writerId();
        if (!configured.isEmpty()) {
            String id = configured;
            for (int k = 1; adopted(firstBackend, id); k++) {
                id = configured + "." + k;
            }
            return id;
        }
        Path file = idFile(config);
        Optional<String> kept = Layout.readSmall(file).map(String::trim).filter(s -> !s.isEmpty());
        if (kept.isPresent() && !adopted(firstBackend, kept.get())) {
            return kept.get();
        }
        String id;
        do {
            id = host() + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        } while (Files.exists(Layout.writer(firstBackend, id)));
        Files.createDirectories(file.getParent());
        Layout.writeAtomically(file, id + "\n");
        return id;
    }

    static boolean adopted(Path firstBackend, String id) {
        return Files.exists(Layout.writer(firstBackend, id).resolve(Adoption.MARKER));
    }

    private static String host() {
        String h;
        try {
            h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            h = "host";
        }
        h = h.replaceAll("[^A-Za-z0-9._-]", "_");
        return h.length() > 40 ? h.substring(0, 40) : h;
    }
}
