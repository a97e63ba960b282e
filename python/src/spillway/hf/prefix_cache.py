"""A prefix cache for Hugging Face transformers causal LMs, backed by a Spillway daemon.

:meth:`PrefixCache.prefill` does what an engine's prefix caching does, with the store in place of
recomputation:

1. cut each prompt into blocks of ``block_tokens`` and chain their keys (``spillway.keys.chain``:
   SHA-256, the same in every process);
2. ``lookup_prefix``: how many leading blocks the store has (for a batch, the fewest over its rows,
   so the cache stays rectangular);
3. load those blocks onto the model's device (:class:`~spillway.hf.staging.GpuStaging`: on a GPU
   many blocks per host-to-device copy from pinned memory, then one scatter per layer on the GPU;
   on the CPU plain host copies), build the model's KV cache from them, and prefill only the
   suffix;
4. dump the suffix's new whole blocks (a gather on the device, one copy into the dump region,
   then ``dump``), so the next prompt with this prefix finds them.

A load that is not ``OK`` for every block (missing, corrupt, timed out) falls back to a full
prefill of that batch: wrong KV is never used, and a store problem never fails a request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

import torch

from .. import keys as spw_keys
from .kvlayout import KvGeometry, LayerKV, gather_blocks, scatter_blocks
from .staging import GpuStaging


@dataclass
class PrefillResult:
    """What one :meth:`PrefixCache.prefill` did."""

    logits: torch.Tensor
    """The model's logits for the positions asked for (``logits_to_keep``) of the whole prompt."""
    past_key_values: Any
    """The model's KV cache after the prefill (covers the whole prompt)."""
    hit_blocks: int
    """Leading blocks loaded from the store (per row)."""
    hit_tokens: int
    timings_ms: dict = field(default_factory=dict)
    """``lookup``, ``load`` (store to the device, scatter included), ``prefill``, ``dump_submit``."""
    fallback: Optional[str] = None
    """Why the store's blocks were not used, when they were found but could not be loaded."""


def layer_kv(cache: Any, layer: int) -> LayerKV:
    """Layer ``layer``'s ``(K, V)`` of a transformers cache object, across cache API versions."""
    if hasattr(cache, "layers"):  # transformers >= 4.56: Cache.layers[i].keys / .values
        entry = cache.layers[layer]
        return entry.keys, entry.values
    if hasattr(cache, "key_cache"):  # 4.36 - 4.55
        return cache.key_cache[layer], cache.value_cache[layer]
    return cache[layer][0], cache[layer][1]  # legacy tuple of tuples


def new_dynamic_cache(model: Any, layers: Sequence[LayerKV]) -> Any:
    """A ``DynamicCache`` holding ``layers`` (through its public ``update``, which every version has)."""
    from transformers import DynamicCache

    try:
        cache = DynamicCache(config=model.config)
    except TypeError:  # versions without the config argument
        cache = DynamicCache()
    for i, (k, v) in enumerate(layers):
        cache.update(k, v, i)
    return cache


class PrefixCache:
    """Prefix caching for one model through a Spillway client.

    Args:
        client: a connected ``spillway.Client`` whose namespace is this model's fingerprint
            (:meth:`namespace_for`).
        model: a transformers causal LM on a CUDA device or on the CPU.
        block_tokens: tokens per store block (seed 002 recommends 128 for UCM).
        staging: where blocks pass between the store and the model's device; made to hold ``max_blocks``.
        max_blocks: the most blocks one prefill loads or dumps (all rows together).
    """

    def __init__(self, client: Any, model: Any, *, block_tokens: int = 128, staging: GpuStaging | None = None,
                 max_blocks: int = 256, timeout: float = 30.0) -> None:
        self.client = client
        self.model = model
        self.geometry = KvGeometry.from_config(model.config, block_tokens=block_tokens, dtype=model.dtype)
        self.device = next(model.parameters()).device
        self.timeout = timeout
        self.staging = staging or GpuStaging(client, self.geometry, max_blocks, self.device, timeout=timeout)
        self._pending_dumps: List[Any] = []

    @staticmethod
    def namespace_for(model: Any, *, block_tokens: int = 128, revision: str = "", tp_rank: int = 0,
                      tp_size: int = 1) -> str:
        """The namespace fingerprint of ``model``'s KV: model, revision, dtype, ranks, block size, layout."""
        geometry = KvGeometry.from_config(model.config, block_tokens=block_tokens, dtype=model.dtype)
        name = getattr(model.config, "_name_or_path", "") or model.config.__class__.__name__
        return spw_keys.namespace_fingerprint(name, revision=revision, dtype=str(model.dtype).replace("torch.", ""),
                                              tp_rank=tp_rank, tp_size=tp_size, block_tokens=block_tokens,
                                              layout=geometry.fingerprint())

    def block_keys(self, tokens: Sequence[int]) -> List[bytes]:
        """The chained keys of every whole block of one prompt."""
        return spw_keys.chain_all(list(map(int, tokens)), self.geometry.block_tokens)

    @torch.inference_mode()
    def prefill(self, input_ids: torch.Tensor, *, logits_to_keep: int = 1, dump: bool = True) -> PrefillResult:
        """Prefills ``input_ids`` (``[batch, seq]``, no padding), loading the stored prefix."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, seq], got {tuple(input_ids.shape)}")
        t = {}
        n = self.geometry.block_tokens
        batch, seq = input_ids.shape
        rows = [self.block_keys(r) for r in input_ids.tolist()]
        t0 = time.perf_counter()
        # Leave at least one token to prefill: the model needs it for the next-token logits.
        usable = (seq - 1) // n
        hits = min(self.client.lookup_prefix(r[:usable], timeout=self.timeout) for r in rows) if usable else 0
        t["lookup"] = (time.perf_counter() - t0) * 1e3
        fallback = None
        cache = None
        if hits:
            t1 = time.perf_counter()
            blocks = self.staging.load([r[:hits] for r in rows])
            if blocks is None:
                fallback = self.staging.last_error
                hits = 0
            else:
                cache = new_dynamic_cache(self.model, scatter_blocks(blocks, self.geometry))
                self.staging.synchronize()
                # The staged blocks are as large as the hits (26.8 GB at 32k x 4 on QwQ-32B) and the
                # cache now holds its own copy: held through the suffix prefill, they ran the H200
                # out of memory where the full prefill fits.
                del blocks
            t["load"] = (time.perf_counter() - t1) * 1e3
        start = hits * n
        t2 = time.perf_counter()
        out = self.model(input_ids=input_ids[:, start:], past_key_values=cache, use_cache=True,
                         logits_to_keep=logits_to_keep)
        self.staging.synchronize()
        t["prefill"] = (time.perf_counter() - t2) * 1e3
        cache = out.past_key_values
        if dump:
            t3 = time.perf_counter()
            whole = seq // n
            if whole > hits:
                layers = [layer_kv(cache, i) for i in range(self.geometry.layers)]
                self._pending_dumps.append(self.staging.dump([r[hits:whole] for r in rows], layers, hits))
            t["dump_submit"] = (time.perf_counter() - t3) * 1e3
        return PrefillResult(out.logits, cache, hits, hits * n, t, fallback)

    def wait_dumps(self, timeout: float | None = None) -> List[Any]:
        """Waits for the dumps submitted so far; returns their results (raises on a timeout)."""
        done = [self.staging.wait_dump(d, timeout if timeout is not None else self.timeout) for d in self._pending_dumps]
        self._pending_dumps.clear()
        return done

    def close(self) -> None:
        self.wait_dumps()
        self.staging.close()
