package io.spillway.recovery;

/**
 * How a scan of a segment's records treats damage: the switch Apache Ratis's segmented log
 * reader has between failing at the first bad entry and returning what it could read.
 */
enum CorruptionPolicy {

    /**
     * The first group that fails any check (its header, one of its record headers, one of its
     * payloads, or a group cut short by the end of the file) ends the data, and that group is
     * dropped whole. What recovery does with a segment a crash left open: a damaged group there is
     * a torn write, and a group is written and synced as one unit ({@link OpenSegmentRecovery}).
     */
    STRICT,

    /**
     * Every record whose header and payload CRCs verify is kept, also inside a damaged or cut
     * group and past damage (the scan looks for the next group on the alignment). What repair
     * does with a sealed segment: it was complete and immutable when sealed, so damage there is
     * media corruption or a cut file, and the records around it are as good as they were.
     */
    BEST_EFFORT
}
