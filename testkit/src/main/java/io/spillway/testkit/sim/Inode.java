package io.spillway.testkit.sim;

import java.util.BitSet;

/**
 * One file of a {@link SimDisk}, independent of the names it has: its volatile bytes (what the
 * process reads), its durable bytes (what survives a power cut), and which 512-byte sectors are
 * dirty (written since the last sync) or doomed (their sync failed: never durable). Guarded by
 * the disk's monitor.
 */
final class Inode {
    final long ino;
    byte[] data = new byte[0];
    long size;
    byte[] durable = new byte[0];
    long durableSize;
    long allocated;
    final BitSet dirty = new BitSet();
    final BitSet doomed = new BitSet();
    boolean syncFailed;

    Inode(long ino) {
        this.ino = ino;
    }
}
