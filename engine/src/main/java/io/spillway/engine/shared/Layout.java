package io.spillway.engine.shared;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The on-disk layout of a shared store, under each {@code storage_backends} directory:
 *
 * <pre>
 * FORMAT                 "spillway-store-format 2": the layout version (absent: a single-writer store)
 * seg-*.seg, LOCK, ...   writer zero: a single-writer store's own files, read as sealed segments
 * numbers/&lt;n&gt;            writer number n claimed (atomic create) by the writer it names (first backend)
 * writers/&lt;id&gt;/          one writer's directory: LOCK, NUMBER, lease, MANIFEST, ADOPTED, its segments
 *                        and (first backend) its commit log
 * gc/owner.&lt;epoch&gt;       the GC owner of each epoch (atomic create; the highest is current), gc/lease
 * </pre>
 *
 * <p>An existing single-writer store opens unchanged as <b>writer zero</b>: its top-level files
 * stay where they are and are never moved (no migration to crash half way through); peers read
 * its sealed segments as they read any writer's, and a single-writer {@code SegmentStore} can
 * still open the directory and append there (writer zero's ids are its small sequence numbers).
 *
 * <p>Segment ids are unique across writers: writer number n hands out ids from {@code n << 40}
 * ({@link #ID_BITS}), so a local index can hold every writer's segments by id.
 */
final class Layout {

    static final int FORMAT_VERSION = 2;
    static final String FORMAT_FILE = "FORMAT";
    static final int ID_BITS = 40;
    static final long MAX_NUMBER = (1L << (63 - ID_BITS)) - 1;

    private Layout() {
    }

    static Path writers(Path backend) {
        return backend.resolve("writers");
    }

    static Path writer(Path backend, String id) {
        return writers(backend).resolve(id);
    }

    static Path gcDir(Path backend) {
        return backend.resolve("gc");
    }

    /** The writer number encoded in a segment id. */
    static long numberOf(long segmentId) {
        return segmentId >>> ID_BITS;
    }

    /**
     * Checks the format marker of {@code backend}, writing it where missing (a new store, or a
     * single-writer store now shared: writer zero).
     *
     * @throws IOException naming both versions when the marker holds one this code does not know
     */
    static void checkFormat(Path backend) throws IOException {
        Path marker = backend.resolve(FORMAT_FILE);
        Optional<String> text = readSmall(marker);
        if (text.isEmpty()) {
            writeAtomically(marker, "spillway-store-format " + FORMAT_VERSION + "\n");
            return;
        }
        String t = text.get().trim();
        String version = t.startsWith("spillway-store-format ") ? t.substring("spillway-store-format ".length()).trim() : t;
        if (!version.equals(Integer.toString(FORMAT_VERSION))) {
            throw new IOException("store " + backend + " has store format version " + version + " (" + marker
                    + "); this Spillway knows store format version " + FORMAT_VERSION
                    + " (and unmarked single-writer stores); use the Spillway that created it");
        }
    }

    /** Writes {@code text} to a temporary sibling, syncs it, and renames it over {@code file}. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.write(tmp, text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates {@code file} with {@code text} only if it does not exist: false when another got there first. */
    static boolean createExclusive(Path file, String text) throws IOException {
        try {
            Files.write(file, text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    static Optional<String> readSmall(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The names in {@code dir}; empty if it does not exist. */
    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            s.forEach(p -> out.add(p.getFileName().toString()));
            return out;
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /**
     * This writer's number, claimed once and kept in {@code writers/<id>/NUMBER}.
     *
     * <p>Protocol: 1. read {@code NUMBER}; if present, done. 2. Otherwise, from one past the highest
     * name in {@code numbers/}, create {@code numbers/<n>} exclusively (naming this writer) until
     * one create succeeds: two writers never get one number, since an exclusive create succeeds
     * once. 3. Write {@code NUMBER} (atomically). A crash between 2 and 3 leaves a number unused.
     */
    static long number(Path firstBackend, String id) throws IOException {
        Path numberFile = writer(firstBackend, id).resolve("NUMBER");
        Optional<String> known = readSmall(numberFile);
        if (known.isPresent()) {
            return Long.parseLong(known.get().trim());
        }
        Path numbers = firstBackend.resolve("numbers");
        Files.createDirectories(numbers);
        long n = 1;
        for (String name : list(numbers)) {
            if (name.matches("[0-9]{1,7}")) {
                n = Math.max(n, Long.parseLong(name) + 1);
            }
        }
        while (!createExclusive(numbers.resolve(Long.toString(n)), id + "\n")) {
            n++;
        }
        if (n > MAX_NUMBER) {
            throw new IOException("store " + firstBackend + " has handed out all " + MAX_NUMBER + " writer numbers");
        }
        writeAtomically(numberFile, n + "\n");
        return n;
    }
}
