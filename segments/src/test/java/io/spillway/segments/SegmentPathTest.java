package io.spillway.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentPathTest {

    @Test
    void namesRoundTrip() {
        for (long id : new long[] {0, 1, 42, 0xabcdefL, 1L << 40, Long.MAX_VALUE}) {
            for (SegmentPath.State state : SegmentPath.State.values()) {
                SegmentPath p = new SegmentPath(id, state);
                String name = p.fileName();
                assertTrue(name.matches("seg-[0-9a-f]{16}\\.(open|seg|deleted)"), name);
                assertEquals(Optional.of(p), SegmentPath.parse(name), name);
            }
        }
        assertEquals("seg-000000000000002a.open", new SegmentPath(42, SegmentPath.State.OPEN).fileName());
        assertEquals("seg-000000000000002a.seg", new SegmentPath(42, SegmentPath.State.SEALED).fileName());
        assertEquals("seg-7fffffffffffffff.seg", new SegmentPath(Long.MAX_VALUE, SegmentPath.State.SEALED).fileName());
    }

    @Test
    void pathsAndStates() {
        Path dir = Path.of("/store/dir");
        SegmentPath open = new SegmentPath(7, SegmentPath.State.OPEN);
        assertEquals(dir.resolve("seg-0000000000000007.open"), open.in(dir));
        SegmentPath sealed = open.as(SegmentPath.State.SEALED);
        assertEquals(new SegmentPath(7, SegmentPath.State.SEALED), sealed);
        assertEquals(dir.resolve("seg-0000000000000007.seg"), sealed.in(dir));
        assertEquals(".open", SegmentPath.State.OPEN.suffix());
        assertEquals(".seg", SegmentPath.State.SEALED.suffix());
        assertThrows(IllegalArgumentException.class, () -> new SegmentPath(-1, SegmentPath.State.OPEN));
    }

    @Test
    void namesSortInIdOrder() {
        List<String> names = new ArrayList<>();
        long[] ids = {0, 9, 10, 15, 16, 255, 256, 1L << 32, Long.MAX_VALUE};
        for (long id : ids) {
            names.add(new SegmentPath(id, SegmentPath.State.SEALED).fileName());
        }
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(null);
        assertEquals(names, sorted);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        ".nfs0001",
        ".nfs000000000000000100000001",
        "seg-xyz.open",
        "LOCK",
        "seg-0000000000000001.open.tmp",
        "seg-0000000000000001.seg.deleted",
        "seg-0000000000000001.seg~",
        "seg-0000000000000001",
        "seg-0000000000000001.",
        "seg-0000000000000001.SEG",
        "seg-0000000000000001.Open",
        "seg-000000000000000A.seg",
        "SEG-0000000000000001.seg",
        "seg-000000000000001.seg",
        "seg-00000000000000001.seg",
        "seg--000000000000001.seg",
        "seg-+000000000000001.seg",
        "seg-0x00000000000001.seg",
        " seg-0000000000000001.seg",
        "seg-0000000000000001.seg ",
        "seg-0000000000000001.seg\n",
        "xseg-0000000000000001.seg",
        "dir/seg-0000000000000001.seg",
        "seg-8000000000000000.seg",
        "seg-ffffffffffffffff.open",
        ".spillway-probe-123-abc",
        "",
    })
    void foreignNamesAreRejected(String name) {
        assertEquals(Optional.empty(), SegmentPath.parse(name), "'" + name + "'");
    }
}
