package io.spillway.server;

import io.spillway.engine.api.BlockKey;
import io.spillway.engine.api.BlockStore;
import io.spillway.engine.api.Task;
import io.spillway.server.protocol.FrameWriter;
import io.spillway.server.protocol.JobReport;
import io.spillway.server.protocol.MessageType;
import io.spillway.server.protocol.Replies;
import io.spillway.server.protocol.Request;
import io.spillway.server.protocol.SliceArray;
import io.spillway.server.protocol.Status;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A connection's dumps and loads: slices resolved to mapped pages, jobs submitted to the store,
 * and WAIT.
 *
 * <p>A job's life, in order:
 * <ol>
 *   <li>DUMP or LOAD: every slice is checked (its region is registered on this connection, it
 *       lies inside it, its length is a valid block size) before anything is submitted; a bad
 *       one refuses the whole request and submits nothing.
 *   <li>Each distinct region takes a reference, so it stays mapped while the store may touch it.
 *   <li>The store's task is submitted with slices of the mapped pages as its buffers; the reply
 *       is the job id, at once.
 *   <li>When the task completes (every block done, or its deadline passed; the store no longer
 *       touches its buffers after either), the job drops its region references.
 *   <li>WAIT reports a done job once, with every block's outcome, and forgets it. A connection
 *       that closes forgets its jobs; their references still drop as the tasks complete.
 * </ol>
 * Only the connection's thread calls this class; completions arrive on the store's threads and
 * touch only the job's regions and the shared counters.
 */
final class Transfers {

    private final long connectionId;
    private final ServerState state;
    private final Map<Integer, MappedRegion> regions;
    /** Submitted and not yet reported done, in submission order. */
    private final Map<Long, Job> jobs = new LinkedHashMap<>();

    Transfers(long connectionId, ServerState state, Map<Integer, MappedRegion> regions) {
        this.connectionId = connectionId;
        this.state = state;
        this.regions = regions;
    }

    int jobCount() {
        return jobs.size();
    }

    ByteBuffer submit(long requestId, Request.Transfer t, List<BlockKey> keys, FrameWriter w) throws RegionException {
        MessageType type = t.type();
        if (state.draining()) {
            return Replies.error(w, type, requestId, Status.SHUTTING_DOWN, "the daemon is shutting down; no new " + type + " is accepted");
        }
        int limit = state.options().maxJobsPerConnection();
        if (jobs.size() >= limit) {
            return Replies.error(w, type, requestId, Status.BUSY, "this connection has " + jobs.size() + " jobs in flight or not yet"
                    + " reported (the most allowed is " + limit + "); WAIT for some first");
        }
        SliceArray s = t.slices();
        List<MemorySegment> buffers = new ArrayList<>(s.count());
        Map<MappedRegion, Boolean> used = new IdentityHashMap<>();
        for (int i = 0; i < s.count(); i++) {
            MappedRegion region = regions.get(s.regions()[i]);
            if (region == null) {
                throw new RegionException(Status.NO_SUCH_REGION, "block " + i + " names region " + Integer.toUnsignedString(s.regions()[i])
                        + ", which is not registered on this connection");
            }
            int length = s.lengths()[i];
            if (length < BlockStore.MIN_BLOCK_BYTES || length > BlockStore.MAX_BLOCK_BYTES) {
                throw new RegionException(Status.BAD_REQUEST, "block " + i + " is " + length + " bytes; a block is "
                        + BlockStore.MIN_BLOCK_BYTES + " bytes to 256 MiB");
            }
            buffers.add(region.slice(s.offsets()[i], length));
            used.put(region, Boolean.TRUE);
        }
        List<MappedRegion> held = new ArrayList<>(used.size());
        for (MappedRegion r : used.keySet()) {
            // Only this thread unregisters this connection's regions, and it removes them from the
            // table first: a region found there is still registered.
            if (!r.acquire()) {
                held.forEach(MappedRegion::release);
                throw new IllegalStateException(r + " is in the connection's table but unregistered");
            }
            held.add(r);
        }
        Task task;
        state.jobStarted();
        try {
            task = type == MessageType.DUMP ? state.store().dump(keys, buffers) : state.store().load(keys, buffers);
        } catch (RuntimeException e) {
            held.forEach(MappedRegion::release);
            state.jobFinished();
            throw e;
        }
        Job job = new Job(state.nextJobId(), task, held);
        jobs.put(job.id(), job);
        state.jobSubmitted();
        task.future().whenComplete((r, ex) -> {
            job.releaseRegions();
            state.jobFinished();
            Session.logFinished(connectionId, job.id(), task, r);
        });
        return Replies.u64(w, type, requestId, job.id());
    }

    /**
     * WAIT: blocks until every listed job (or one, with {@code any}) of this connection is done,
     * or the timeout passes, then reports each listed id in order and forgets the done ones.
     */
    List<JobReport> await(Request.Wait wait) throws InterruptedException {
        long[] ids = wait.jobs();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        boolean anyDone = false;
        for (long id : ids) {
            Job j = jobs.get(id);
            if (j != null) {
                if (j.task().isDone()) {
                    anyDone = true;
                } else {
                    pending.add(j.task().future());
                }
            }
        }
        boolean satisfied = pending.isEmpty() || (wait.any() && anyDone);
        if (!satisfied && wait.timeoutMillis() > 0) {
            CompletableFuture<?> all = wait.any() ? CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new))
                    : CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
            try {
                all.get(wait.timeoutMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // the reply says which are still pending
            } catch (ExecutionException e) {
                // never by the store's contract; Job.report turns it into IO_ERROR outcomes
            }
        }
        List<JobReport> reports = new ArrayList<>(ids.length);
        for (long id : ids) {
            Job j = jobs.get(id);
            reports.add(j == null ? JobReport.unknown(id) : j.report());
        }
        for (JobReport r : reports) {
            if (r.state() == JobReport.State.DONE && jobs.remove(r.jobId()) != null) {
                state.jobsForgotten(1);
            }
        }
        return reports;
    }

    /** The connection ended: nobody will collect these results. Regions drop as tasks complete. */
    void forgetAll() {
        state.jobsForgotten(jobs.size());
        jobs.clear();
    }
}
