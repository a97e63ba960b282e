package io.spillway.testkit.io;

import io.spillway.segments.io.DirectIoProbe;
import io.spillway.segments.io.FileIO;
import io.spillway.segments.io.ForwardingFileIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A FileIO whose directory listings come back in a seeded random order (Lucene's
 * MockDirectoryWrapper habit), so that no code may depend on the order of a listing.
 */
public final class ShuffledListingIO extends ForwardingFileIO {

    private final Random random;

    /** {@code delegate} with every listing shuffled from {@code seed}. */
    public ShuffledListingIO(FileIO delegate, long seed) {
        super(delegate);
        this.random = new Random(seed);
    }

    /** What {@link DirectIoProbe} picks for {@code dir}, with its listings shuffled from {@code seed}. */
    public static ShuffledListingIO forDirectory(Path dir, boolean wantDirect, int alignment, long seed) {
        return new ShuffledListingIO(DirectIoProbe.forDirectory(dir, wantDirect, alignment), seed);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>(super.list(dir));
        Collections.shuffle(names, random);
        return names;
    }
}
