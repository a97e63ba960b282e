package io.spillway.engine.api;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The per-block outcome of a finished (or timed-out) task.
 *
 * @param taskId the task
 * @param kind dump or load
 * @param outcomes one per block, in the order of the task's keys
 * @param details a message for each block that did not end {@link Outcome#OK}, else null
 * @param bytes payload bytes moved by blocks that ended OK (deduplicated dumps count zero)
 * @param deduplicated dump blocks that wrote nothing because the key was present or in flight
 * @param durable for a dump: every OK block is on stable storage and its index entry written
 *     (durability {@code batch} or {@code always}); false under {@code none}, or for a load
 * @param elapsed from submission to completion
 */
public record TaskResult(long taskId, Task.Kind kind, List<Outcome> outcomes, List<String> details, long bytes,
                         int deduplicated, boolean durable, Duration elapsed) {

    /** Whether every block ended {@link Outcome#OK}. */
    public boolean allOk() {
        return outcomes.stream().allMatch(Outcome::ok);
    }

    /** The outcome of block {@code i}. */
    public Outcome outcome(int i) {
        return outcomes.get(i);
    }

    /** How many blocks ended in each outcome. */
    public Map<Outcome, Integer> counts() {
        Map<Outcome, Integer> m = new EnumMap<>(Outcome.class);
        for (Outcome o : outcomes) {
            m.merge(o, 1, Integer::sum);
        }
        return m;
    }

    /** Indices of the blocks that ended with {@code o}. */
    public int[] indicesOf(Outcome o) {
        return IntStream.range(0, outcomes.size()).filter(i -> outcomes.get(i) == o).toArray();
    }

    @Override
    public String toString() {
        return "TaskResult[" + taskId + " " + kind + " " + counts() + ", " + bytes + " bytes, dedup " + deduplicated
                + (durable ? ", durable" : "") + ", " + elapsed.toMillis() + " ms"
                + (allOk() ? "" : ", first problem: " + Arrays.stream(details.toArray()).filter(d -> d != null).findFirst().orElse("?"))
                + "]";
    }
}
