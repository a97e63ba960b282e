package io.spillway.engine.cache;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The write-back answer of a dump, block by block ({@link CacheTask#whenDurable()}): each block is
 * settled once, by the task itself (a block not stored, or already durable) or by the write-back
 * writer that wrote it to the disk tier.
 */
final class DurableResult {

    private final long id;
    private final Task.Kind kind;
    private final long startNanos;
    private final Outcome[] outcomes;
    private final String[] details;
    private final boolean[] durable;
    private final boolean[] settled;
    private int remaining;
    private final CompletableFuture<TaskResult> future = new CompletableFuture<>();

    DurableResult(long id, Task.Kind kind, int blocks, long startNanos) {
        this.id = id;
        this.kind = kind;
        this.startNanos = startNanos;
        this.outcomes = new Outcome[blocks];
        this.details = new String[blocks];
        this.durable = new boolean[blocks];
        this.settled = new boolean[blocks];
        this.remaining = blocks;
        if (blocks == 0) {
            completeLocked();
        }
    }

    /** Records block {@code i}'s final answer; later calls for the same block are ignored. */
    synchronized void settle(int i, Outcome o, String detail, boolean isDurable) {
        if (settled[i]) {
            return;
        }
        settled[i] = true;
        outcomes[i] = o;
        details[i] = o == Outcome.OK ? null : detail;
        durable[i] = isDurable;
        if (--remaining == 0) {
            completeLocked();
        }
    }

    CompletableFuture<TaskResult> future() {
        return future;
    }

    private void completeLocked() {
        boolean all = Arrays.stream(outcomes).anyMatch(o -> o == Outcome.OK);
        for (int i = 0; i < outcomes.length && all; i++) {
            all = outcomes[i] != Outcome.OK || durable[i];
        }
        future.complete(new TaskResult(id, kind, List.of(outcomes.clone()), new ArrayList<>(Arrays.asList(details.clone())),
                0, 0, all, Duration.ofNanos(System.nanoTime() - startNanos)));
    }
}
