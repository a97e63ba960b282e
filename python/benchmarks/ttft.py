"""Time to first token with and without Spillway, in Hugging Face transformers, on one GPU.

For each (input length, concurrency) row: a batch of ``concurrency`` random prompts whose first
``hit`` fraction (whole blocks) was stored by an earlier request. Modes, each the mean over
``--reps`` timed runs after a warm-up:

* ``full``: the whole prompt is prefilled (no store);
* ``dram``: the stored prefix is loaded from a daemon whose store is ``Cache|Disk`` (the hits are
  in its DRAM tier), then only the suffix is prefilled;
* ``disk``: the same through a daemon restarted with ``store_pipeline: Disk`` on the same
  directory, page cache dropped first (the hits come from the disk tier).

With ``--store DIR`` the script runs its own daemons (``spillway.testing.Daemon``, which finds the
launcher through ``$SPILLWAY_LAUNCHER`` or the checkout): ``Cache|Disk`` with ``--dram`` bytes of
DRAM tier, and for the ``disk`` mode a ``Disk`` daemon on the same directory (the DRAM tier's
arena stays warm across the switch). With ``--socket`` it uses a daemon that is already running
(no ``disk`` mode).

TTFT is the wall time from the prompt's tokens to its first logits: lookup + load + suffix
prefill (``logits_to_keep=1``; the dumps of new blocks happen after and are not counted, as an
engine would overlap them with decoding). Speedup as seed 002 reports it: full / spillway - 1.

Correctness, for every row measured: the logits of the suffix positions computed with the loaded
KV must be *bit-identical* to those computed with the KV the model itself produced for the
prefix (same kernels, same inputs: the store must return the exact bytes), and within bf16
tolerance of the full prefill's (different kernel tiling; see ``check_logits``).

Weights are random (the GPU machine has no model hub): the geometry is what costs time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

import torch

GEOMETRIES = {
    # Qwen2.5-32B / QwQ-32B: 256 KiB of bf16 KV per token.
    "qwq-32b": dict(family="qwen2", hidden_size=5120, num_hidden_layers=64, num_attention_heads=40,
                    num_key_value_heads=8, intermediate_size=27648, vocab_size=152064, max_position_embeddings=40960),
    # Llama-3.1-8B: 128 KiB per token.
    "llama-3.1-8b": dict(family="llama", hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, intermediate_size=14336, vocab_size=128256,
                         max_position_embeddings=40960),
    # A tiny model for smoke tests.
    "tiny": dict(family="llama", hidden_size=256, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=512, vocab_size=1000, max_position_embeddings=40960),
}


def build_model(name: str, device: str):
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    g = dict(GEOMETRIES[name])
    family = g.pop("family")
    cls = Qwen2Config if family == "qwen2" else LlamaConfig
    cfg = cls(**g, tie_word_embeddings=False)
    cfg._name_or_path = name
    torch.manual_seed(0)
    with torch.device(device):
        try:
            model = AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
        except TypeError:
            model = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
    # Random weights of the default init give logits of sane magnitude; scale nothing.
    return model.eval()


def timed(fn, reps: int):
    fn()  # warm-up (kernels, allocator)
    torch.cuda.synchronize()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def reference_logits(model, ids, prefix_tokens, positions=128):
    """The logits a loaded prefix must reproduce, on the CPU: (positions, full prefill's, own prefix KV's).

    Checks the batch's first prompt alone (a batch of one: the model's own prefix KV and the full
    prefill's logits would need the row's memory twice over at 32k x 4) at up to ``positions``
    suffix positions spread evenly from the first suffix token to the last (the logits of every
    position would be 6,400 x 152,064 floats at 32k). Computed once per row and kept, so that the
    disk mode's check does not run the three prefills again.
    """
    ids = ids[:1]
    suffix = ids.shape[1] - prefix_tokens
    k = min(suffix, positions)
    at = torch.linspace(0, suffix - 1, k, device=ids.device).round().long().unique()
    with torch.inference_mode():
        full = model(input_ids=ids, logits_to_keep=at + prefix_tokens).logits.float().cpu()
        own = model(input_ids=ids[:, :prefix_tokens], use_cache=True)
        own_cache = own.past_key_values
        del own
        mine = model(input_ids=ids[:, prefix_tokens:], past_key_values=own_cache, use_cache=True,
                     logits_to_keep=at).logits.float().cpu()
        del own_cache
    return at, full, mine, prefix_tokens


def check_logits(pc, ids, refs):
    """Suffix logits with the loaded KV vs the model's own KV (must be equal) and vs the full prefill (bf16 tolerance).

    When the store holds fewer of the prompt's blocks than were stored (the disk tier evicted some
    under space pressure), the prefill starts earlier and its logits are taken at the same
    absolute positions as the references: they are then compared with the full prefill only,
    since the model's own KV was split at another point.
    """
    at, full, mine, prefix_tokens = refs
    n = pc.geometry.block_tokens
    keys = pc.block_keys(ids[0].tolist())
    hits = pc.client.lookup_prefix(keys[:(ids.shape[1] - 1) // n], timeout=pc.timeout)
    loaded = pc.prefill(ids[:1], logits_to_keep=at + (prefix_tokens - hits * n), dump=False)
    got = loaded.logits.float().cpu()
    if loaded.hit_blocks * n != prefix_tokens:
        exact = None  # not comparable: another split than the references'
    else:
        exact = bool(torch.equal(got, mine))
    diff = (got - full).abs()
    cos = torch.nn.functional.cosine_similarity(got.flatten(0, 1), full.flatten(0, 1), dim=1).min().item()
    top1 = (got.argmax(-1) == full.argmax(-1)).float().mean().item()
    scale = full.abs().max().item()
    return dict(prompt=0, positions=int(at.numel()), hit_blocks=loaded.hit_blocks,
                stored_blocks=prefix_tokens // n, exact_vs_own_kv=exact,
                max_abs_diff_vs_full=diff.max().item(),
                mean_abs_diff_vs_full=diff.mean().item(), max_abs_logit=scale, min_cosine_vs_full=cos,
                top1_agreement_vs_full=top1,
                # The store's correctness is exact_vs_own_kv: the loaded KV must give the very
                # logits the model's own prefix KV gives. Against the full prefill the suffix runs
                # with other kernel tilings (a [prefix | suffix] split instead of one pass), and
                # bf16 keeps 8 significant bits, so the two drift apart over 64 layers: measured
                # on the H200 with random QwQ-32B weights, the model's own split gives a minimum
                # cosine of 0.998 and 85-88% top-1 agreement (nearly flat logits). The bound is
                # therefore exactness against the own KV and a cosine of at least 0.995 to full
                # (the minimum over the positions checked).
                within_tolerance=exact is not False and cos >= 0.995)


def row_memory(model, geometry, conc, length):
    """Bytes a full prefill of the row needs beyond the weights: its KV plus the largest MLP temporaries."""
    cfg = model.config
    kv = conc * length * geometry.token_bytes
    mlp = conc * length * cfg.intermediate_size * 2 * 3  # gate, up and their product, bf16
    return kv + mlp


def estimate_row_s(rows, conc, length):
    """Seconds the row's full and DRAM modes will take, scaled from the rows measured so far (None before the first).

    Scaled by tokens^1.2 from the measured wall time (prefill, the round-1 store, the DRAM passes
    and the logits references) of the largest row so far, the nearest in shape, plus 15%.
    """
    done = [r for r in rows if "row_s" in r]
    if not done:
        return None
    big = max(done, key=lambda r: r["concurrency"] * r["input_length"])
    rate = big["row_s"] / (big["concurrency"] * big["input_length"] ** 1.2)
    return 1.15 * rate * conc * length ** 1.2


def estimate_disk_s(row, reps):
    """Seconds the disk mode of a measured row will take: its loads at 1.2 GB/s and its suffix prefills."""
    passes = reps + 1 + 1 / row["concurrency"]  # warm-up, timed runs, the logits check's one prompt
    suffix_s = (row["dram_ms"] - row["dram_parts_ms"].get("load", 0)) / 1e3
    return passes * (row["hit_bytes"] / 1.2e9 + suffix_s)


def drop_page_cache():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError as e:
        print(f"ttft: cannot drop the page cache ({e}); disk rows may read cached pages", file=sys.stderr)
        return False


def measure(pc, ids, row, label, reps):
    """Times ``reps`` prefills of ``ids`` with the stored prefix; records the figures under ``label``."""
    res = []

    def once():
        res.append(pc.prefill(ids, dump=False))

    t = timed(once, reps)
    row[f"{label}_ms"] = statistics.mean(t)
    row[f"{label}_runs_ms"] = t
    row[f"{label}_hit_blocks"] = res[-1].hit_blocks
    row[f"{label}_fallback"] = res[-1].fallback
    row[f"{label}_parts_ms"] = res[-1].timings_ms
    row[f"{label}_arena"] = pc.staging.arena is not None
    if "full_ms" in row:
        row[f"{label}_speedup_pct"] = (row["full_ms"] / row[f"{label}_ms"] - 1) * 100
    load_ms = res[-1].timings_ms.get("load", 0)
    row[f"{label}_load_gbps"] = row["hit_bytes"] / (load_ms / 1e3) / 1e9 if load_ms else None


def run_row(args, model, serving, ids, prefix, row, modes):
    """Measures one row's full and DRAM modes: full, then the prefix stored by an earlier request, then dram.

    Returns the reference logits of its first prompt (``reference_logits``), for the disk mode's
    check later, or None when the row did not fit.
    """
    phases = row.setdefault("phase_s", {})
    try:
        t0 = time.monotonic()
        if "full" in modes:
            with torch.inference_mode():
                t = timed(lambda: model(input_ids=ids, logits_to_keep=1), args.reps)
            row["full_ms"] = statistics.mean(t)
            row["full_runs_ms"] = t
        t1 = time.monotonic()
        # Round 1: an earlier request stored the prefix (its whole blocks).
        serving.pc.prefill(ids[:, :prefix + 1], dump=True)
        serving.pc.wait_dumps()
        t2 = time.monotonic()
        refs = reference_logits(model, ids, prefix)
        t3 = time.monotonic()
        phases.update(full=t1 - t0, store=t2 - t1, references=t3 - t2)
        if "dram" in modes:
            measure(serving.pc, ids, row, "dram", args.reps)
            row["dram_logits"] = check_logits(serving.pc, ids, refs)
            phases["dram"] = time.monotonic() - t3
        if "full_ms" in row and "dram_ms" in row:
            # What a tier must read at to break even with recomputing: the hits in the time the
            # full prefill takes beyond the suffix's own work (lookup, scatter, suffix prefill).
            rest = row["dram_ms"] - row["dram_parts_ms"].get("load", 0)
            spare = row["full_ms"] - rest
            row["break_even_load_gbps"] = row["hit_bytes"] / (spare / 1e3) / 1e9 if spare > 0 else None
        return refs
    except torch.cuda.OutOfMemoryError as e:
        row["did_not_fit"] = str(e).splitlines()[0]
        return None


def run_disk_rows(args, serving, kept, deadline):
    """The disk mode of the kept rows, through one daemon restarted with ``store_pipeline: Disk``.

    One restart for all of them (not two per row): the kept rows' blocks stayed in the store, and
    the Disk daemon on the same directory serves them from the segment files alone. The page cache
    is dropped once, after the restart; the disk tier reads with O_DIRECT, so no pass warms the next.
    Then the kept rows' blocks are deleted and the daemon goes back to ``Cache|Disk``.
    """
    if not kept:
        return
    t0 = time.monotonic()
    serving.restart("Disk")
    dropped = drop_page_cache()
    restart_s = time.monotonic() - t0
    try:
        for row, ids, refs in kept:
            row["disk_page_cache_dropped"] = dropped
            row.setdefault("phase_s", {})["disk_restart_once"] = restart_s
            if deadline is not None and time.monotonic() + estimate_disk_s(row, args.reps) > deadline:
                row["disk_not_run"] = "time budget"
                continue
            t1 = time.monotonic()
            ids = ids.to("cuda")
            measure(serving.pc, ids, row, "disk", args.reps)
            row["disk_logits"] = check_logits(serving.pc, ids, refs)
            row["phase_s"]["disk"] = time.monotonic() - t1
            print(json.dumps(dict(disk_row=[row["input_length"], row["concurrency"]], disk_ms=row["disk_ms"],
                                  disk_hit_blocks=row["disk_hit_blocks"], disk_load_gbps=row["disk_load_gbps"])),
                  flush=True)
    finally:
        for _, ids, _ in kept:
            delete_row_keys(serving, ids)
        serving.restart("Cache|Disk")


class Serving:
    """The daemon (run here with --store, or already running with --socket), its client and the prefix cache."""

    def __init__(self, args, model):
        self.args = args
        self.model = model
        self.daemon = None
        self.client = None
        self.pc = None
        self.cache_path = f"/dev/shm/spillway-ttft-{os.getpid()}"

    def start(self, pipeline):
        import spillway
        from spillway.hf.prefix_cache import PrefixCache
        from spillway.hf.kvlayout import KvGeometry

        a = self.args
        socket = a.socket
        if a.store:
            from spillway.testing import Daemon

            block = KvGeometry.from_config(self.model.config, block_tokens=a.block_tokens, dtype=self.model.dtype).block_bytes
            config = {"store_pipeline": pipeline, "kv_block_size": block, "durability": "none"}
            if pipeline != "Disk":
                config["buffer_size"] = a.dram
            # An arena of its own: the default /dev/shm/spillway-cache may be locked by another
            # daemon on the host, and the pipeline would then serve from the disk tier alone.
            config["cache_path"] = self.cache_path
            self.daemon = Daemon(directory=a.store, config=config).start()
            socket = self.daemon.socket_path
        ns = PrefixCache.namespace_for(self.model, block_tokens=a.block_tokens)
        self.client = spillway.Client(socket, namespace=ns, timeout=120)
        self.pc = PrefixCache(self.client, self.model, block_tokens=a.block_tokens, max_blocks=a.max_blocks, timeout=120)
        if pipeline != "Disk" and self.pc.staging.arena is None:
            # The DRAM rows would silently measure the disk tier.
            raise SystemExit(f"ttft: the Cache|Disk daemon offers no arena: {self.pc.staging.arena_note}")

    def stop(self):
        try:
            if self.pc is not None:
                self.pc.close()
            if self.client is not None:
                self.client.close()
        finally:
            self.pc = self.client = None
            if self.daemon is not None:
                self.daemon.stop()
                self.daemon = None

    def restart(self, pipeline):
        self.stop()
        self.start(pipeline)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwq-32b", choices=sorted(GEOMETRIES))
    ap.add_argument("--lengths", default="4000,8000,16000,32000")
    ap.add_argument("--concurrency", default="1,2,4,8")
    ap.add_argument("--hit", type=float, default=0.8)
    ap.add_argument("--block-tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--modes", default="full,dram")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", help="a running daemon's socket")
    where.add_argument("--store", help="run daemons on this store directory (Cache|Disk, and Disk for the disk mode)")
    ap.add_argument("--dram", default="48GiB", help="with --store: the DRAM tier's bytes (buffer_size)")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--max-blocks", type=int, default=64, help="blocks of the pinned load region (loads of more go in passes)")
    ap.add_argument("--time-budget", type=float, default=0,
                    help="seconds: a row that would end past this (estimated from the rows before) is not run; 0: no limit")
    ap.add_argument("--disk-max-bytes", type=float, default=8e9,
                    help="the disk mode only for rows whose hits are at most this many bytes (the disk reads ~1.3 GB/s)")
    args = ap.parse_args(argv)

    device = "cuda"
    started = time.monotonic()
    model = build_model(args.model, device)
    modes = args.modes.split(",")
    if "disk" in modes and not args.store:
        ap.error("the disk mode needs --store (it restarts the daemon with store_pipeline: Disk)")
    serving = Serving(args, model)
    meta = dict(args=vars(args), torch=torch.__version__, gpu=torch.cuda.get_device_name(),
                model_build_s=time.monotonic() - started)
    try:
        run_rows(args, model, serving, modes, started, meta)
    finally:
        serving.stop()  # never leave a daemon behind: it would hold the arena's lock
        shutil.rmtree(serving.cache_path, ignore_errors=True)


def write_json(args, rows, meta, started):
    """The whole result so far (rewritten after every row: a run cut by the device's limit keeps its rows)."""
    if not args.json:
        return
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(dict(rows=rows, elapsed_s=time.monotonic() - started, **meta), f, indent=1)
    os.replace(tmp, args.json)


def run_rows(args, model, serving, modes, started, meta):
    """Every row of the table (one JSON line each as it ends), in three phases.

    1. The rows with a disk mode (hits of at most ``--disk-max-bytes``): full and DRAM modes, and
       their blocks stay in the store.
    2. Their disk mode (``run_disk_rows``), then their blocks are deleted.
    3. The other rows, concurrency outer and length inner (a time budget cuts the largest batches),
       each row's blocks deleted after it.

    The disk rows come first, so that one restart serves them all and their blocks share no
    segment with the bigger rows' deleted ones. (A run that measured them last found some of their
    blocks gone: compaction of those segments dropped blocks larger than the GC's buffers, a bug
    since fixed; the order no longer matters for that.)
    """
    serving.start("Cache|Disk")
    geometry = serving.pc.geometry
    n = args.block_tokens
    plan = [(c, l) for c in map(int, args.concurrency.split(",")) for l in map(int, args.lengths.split(","))]

    def hit_bytes(conc, length):
        return conc * (int(length * args.hit) // n * n) * geometry.token_bytes

    with_disk = [p for p in plan if "disk" in modes and hit_bytes(*p) <= args.disk_max_bytes]
    rows = {}
    kept = []  # (row, ids on the CPU, reference logits) for the disk mode
    deadline = started + args.time_budget if args.time_budget else None

    def save():
        write_json(args, [rows[p] for p in plan if p in rows], meta, started)

    def one(conc, length, keep):
        row = dict(model=args.model, input_length=length, concurrency=conc)
        # Each row's prompts from its own seed: the same prompts whatever the phases and the budget.
        gen = torch.Generator(device="cpu").manual_seed(conc * 1_000_003 + length)
        ids = torch.randint(0, model.config.vocab_size, (conc, length), generator=gen).to("cuda")
        prefix = int(length * args.hit) // n * n
        row["prefix_tokens"] = prefix
        row["hit_bytes"] = hit_bytes(conc, length)
        if "disk" in modes and not keep:
            row["disk_not_run"] = (f"{row['hit_bytes'] / 1e9:.1f} GB of hits > --disk-max-bytes "
                                   f"{args.disk_max_bytes / 1e9:.1f} GB")
        est = estimate_row_s(list(rows.values()), conc, length)
        left = deadline - time.monotonic() if deadline else None
        need = row_memory(model, geometry, conc, length)
        free = torch.cuda.mem_get_info()[0]
        refs = None
        if need > free:
            row["did_not_fit"] = f"estimated {need / 1e9:.1f} GB (KV + MLP temporaries) > {free / 1e9:.1f} GB free"
        elif left is not None and est is not None and est > left:
            row["not_run"] = f"time budget: estimated {est:.0f} s, {left:.0f} s left"
        else:
            t0 = time.monotonic()
            refs = run_row(args, model, serving, ids, prefix, row, modes)
            row["row_s"] = time.monotonic() - t0
        torch.cuda.empty_cache()
        print(json.dumps(row), flush=True)
        rows[(conc, length)] = row
        if keep and refs is not None and "dram_ms" in row:
            kept.append((row, ids.cpu(), refs))
        else:
            delete_row_keys(serving, ids)  # frees the store's DRAM and disk for the next row
        save()

    try:
        for p in with_disk:
            one(*p, keep=True)
        run_disk_rows(args, serving, kept, deadline)
        save()
        for p in plan:
            if p not in with_disk:
                one(*p, keep=False)
    finally:
        save()
    return [rows[p] for p in plan if p in rows]


def delete_row_keys(serving, ids):
    try:
        keys = [k for r in ids.tolist() for k in serving.pc.block_keys(r)]
        serving.client.delete(keys)
    except Exception as e:  # a failed delete only costs store space; say so
        print(f"ttft: delete after row failed: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
