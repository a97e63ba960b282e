package io.spillway.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PiecesTest {

    @Test
    void mergesCopiesThatContinueBothSides() {
        Pieces p = new Pieces(Long.MAX_VALUE);
        p.add(0, 1000, 100);
        p.add(100, 1100, 50);   // continues source and destination: merged
        p.add(150, 2000, 50);   // destination jumps: new piece
        assertEquals(2, p.size());
        assertEquals(150, p.len(0));
        assertEquals(2000, p.dst(1));
        assertEquals(200, p.totalBytes());
    }

    @Test
    void splitsLongCopiesForTheKernel() {
        Pieces p = new Pieces(64);
        p.add(0, 1000, 200);
        assertEquals(4, p.size());
        assertEquals(64, p.len(0));
        assertEquals(128, p.src(2));
        assertEquals(1128, p.dst(2));
        assertEquals(8, p.len(3));
        p.add(200, 1200, 10);   // continues the short last piece, within the split size
        assertEquals(4, p.size());
        assertEquals(18, p.len(3));
    }
}
