package io.spillway.server;

import io.spillway.engine.api.Outcome;
import io.spillway.engine.api.Task;
import io.spillway.engine.api.TaskResult;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.OutcomeCode;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One dump or load a connection submitted: the store's task and the regions its slices are in,
 * each holding a reference until the task completes.
 */
final class Job {

    private final long id;
    private final Task task;
    private final List<MappedRegion> regions;

    Job(long id, Task task, List<MappedRegion> regions) {
        this.id = id;
        this.task = task;
        this.regions = regions;
    }

    long id() {
        return id;
    }

    Task task() {
        return task;
    }

    /** Drops the job's region references (once, when the task completes). */
    void releaseRegions() {
        for (MappedRegion r : regions) {
            r.release();
        }
    }

    private int kind() {
        return task.kind() == Task.Kind.D2S ? JobReport.KIND_DUMP : JobReport.KIND_LOAD;
    }

    /** The job's WAIT entry: pending, or done with every block's outcome. */
    JobReport report() {
        CompletableFuture<TaskResult> f = task.future();
        if (!f.isDone()) {
            return new JobReport(id, JobReport.State.PENDING, kind(), false, task.size(), 0, 0, 0, new byte[0], "");
        }
        TaskResult r;
        try {
            r = f.join();
        } catch (CompletionException | CancellationException e) {
            // The store's tasks never complete exceptionally; if one did, no block may pass for OK.
            byte[] failed = new byte[task.size()];
            Arrays.fill(failed, (byte) OutcomeCode.of(Outcome.IO_ERROR));
            return new JobReport(id, JobReport.State.DONE, kind(), false, failed.length, 0, 0, 0, failed,
                    "the store's task failed: " + e.getCause());
        }
        List<Outcome> outcomes = r.outcomes();
        byte[] codes = new byte[outcomes.size()];
        String detail = "";
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) OutcomeCode.of(outcomes.get(i));
            if (detail.isEmpty() && outcomes.get(i) != Outcome.OK && r.details().get(i) != null) {
                detail = "block " + i + ": " + r.details().get(i);
            }
        }
        return new JobReport(id, JobReport.State.DONE, kind(), r.durable(), codes.length, r.bytes(), r.deduplicated(),
                r.elapsed().toNanos() / 1000, codes, detail);
    }
}
