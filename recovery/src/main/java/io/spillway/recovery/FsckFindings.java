package io.spillway.recovery;

import java.util.ArrayList;
import java.util.List;

/** What one fsck run found: its problems, its notices and its counts, filled in by its passes. */
final class FsckFindings {

    private final List<Fsck.Problem> problems = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    int segments;
    long records;
    long indexEntries;
    long payloads;

    void problem(Fsck.Kind kind, String where, String detail, boolean repaired) {
        problems.add(new Fsck.Problem(kind, where, detail, repaired));
    }

    void notice(String text) {
        notices.add(text);
    }

    List<Fsck.Problem> problems() {
        return List.copyOf(problems);
    }

    List<String> notices() {
        return List.copyOf(notices);
    }
}
