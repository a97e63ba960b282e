"""What the Spillway tier derives from vLLM's configuration: the CPU region's geometry, the
namespace, the store key of an offload key, and whether vLLM's block hashes can be shared at all.

Every function takes plain values or duck-typed vLLM objects (``VllmConfig``'s ``model_config``,
``cache_config``, ``parallel_config``, ``kv_transfer_config``), so the tests can drive them with
simple namespaces where vLLM is not installed.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..keys import namespace_fingerprint

__all__ = ["HashNotDeterministic", "RegionGeometry", "check_hash_determinism", "region_geometry", "namespace_of",
           "store_key", "find_vllm_config", "engine_id_of"]

_KEY_DOMAIN = b"spillway.vllm.offload-key.v1"

KNOWN_HASH_ALGOS = ("sha256", "sha256_cbor", "sha256_cbor_64bit", "xxhash", "xxhash_cbor", "builtin")
"""vLLM's ``prefix_caching_hash_algo`` values across releases (``builtin`` and ``sha256_cbor_64bit``
are older releases' names)."""


class HashNotDeterministic(RuntimeError):
    """vLLM's block hashes differ between processes, so a shared store could never hit."""


def check_hash_determinism(algo: str | None, environ: Mapping[str, str] = os.environ) -> None:
    """Refuses a configuration whose prefix-caching hashes are per-process random.

    vLLM seeds every hash chain with ``NONE_HASH``, which is ``os.urandom(32)`` when
    ``PYTHONHASHSEED`` is unset (any algorithm), and its ``builtin`` algorithm is Python's
    ``hash()``, which is also randomised per process unless ``PYTHONHASHSEED`` is a fixed number.
    Either way a block stored by one vLLM process has a key no other process computes: a silent 0%
    hit rate, and a store filled with garbage. ``algo`` None means no vLLM config was given; only the
    environment is checked then.
    """
    seed = environ.get("PYTHONHASHSEED")
    fix = ("set PYTHONHASHSEED to the same fixed number (e.g. PYTHONHASHSEED=0) in the environment of every vLLM "
           "process that shares this store")
    if algo is not None and algo not in KNOWN_HASH_ALGOS:
        raise HashNotDeterministic(f"spillway tier refused: unknown vLLM prefix_caching_hash_algo {algo!r}; "
                                   f"known: {', '.join(KNOWN_HASH_ALGOS)}")
    if seed is None:
        raise HashNotDeterministic(
            "spillway tier refused: vLLM's prefix-caching block hashes are not deterministic across processes: "
            "PYTHONHASHSEED is unset, so vLLM seeds every hash chain with os.urandom(32) and no block stored by one "
            f"vLLM process would ever be found by another (a silent 0% hit rate); {fix}")
    if algo == "builtin" and not seed.isdigit():
        raise HashNotDeterministic(
            f"spillway tier refused: prefix_caching_hash_algo 'builtin' is Python's hash(), randomised per process "
            f"unless PYTHONHASHSEED is a number (it is {seed!r}); {fix}, or use prefix_caching_hash_algo 'sha256'")


def store_key(offload_key: bytes) -> bytes:
    """Spillway's 32-byte key of a vLLM ``OffloadKey`` (block hash, then the 4-byte KV-cache group index).

    SHA-256 over a domain tag and the whole key, so block hashes of any length (32-byte sha256,
    16-byte xxhash, 8-byte 64-bit variants) and every group index map to distinct keys. The
    daemon mixes the namespace in.
    """
    if len(offload_key) < 5:
        raise ValueError(f"an OffloadKey is a block hash plus a 4-byte group index; got {len(offload_key)} bytes")
    return hashlib.sha256(_KEY_DOMAIN + bytes(offload_key)).digest()


def find_vllm_config(obj: Any) -> Any | None:
    """The ``VllmConfig`` in what vLLM passed: the config itself, or an offloading spec holding it."""
    if obj is None:
        return None
    if hasattr(obj, "model_config") and hasattr(obj, "cache_config"):
        return obj
    inner = getattr(obj, "vllm_config", None)
    return inner if inner is not None and hasattr(inner, "model_config") else None


def engine_id_of(spec: Any, vllm_config: Any) -> str | None:
    """The engine id that names vLLM's CPU region file, wherever this vLLM release keeps it."""
    for holder, attr in ((spec, "_engine_id"), (getattr(spec, "config", None), "engine_id"),
                         (getattr(vllm_config, "kv_transfer_config", None), "engine_id")):
        value = getattr(holder, attr, None) if holder is not None else None
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class RegionGeometry:
    """vLLM's CPU tier as a file: ``num_rows`` rows of ``row_bytes`` (page-aligned), one per offloaded block."""

    path: str
    row_bytes: int
    num_rows: int

    @property
    def size(self) -> int:
        return self.row_bytes * self.num_rows


def region_geometry(primary_kv_view: memoryview | None, *, engine_id: str | None, mmap_path: str | None,
                    row_bytes: int | None, num_rows: int | None) -> RegionGeometry:
    """Where vLLM's rows are, as vLLM lays them out, with the tier config's overrides.

    vLLM's shared offload region is ``/dev/shm/vllm_offload_<engine_id>.mmap``, and the view it hands
    secondary tiers has shape ``(num_blocks, row_stride)``: block *b* is the ``row_stride`` bytes at
    ``b * row_stride``. An override that contradicts the view is refused: loads would land in the
    wrong rows.
    """
    view_rows = view_bytes = None
    if primary_kv_view is not None and primary_kv_view.ndim == 2:
        view_rows, view_bytes = primary_kv_view.shape[0], primary_kv_view.strides[0]
    for name, override, derived in (("row_bytes", row_bytes, view_bytes), ("num_rows", num_rows, view_rows)):
        if override is not None and derived is not None and override != derived:
            raise ValueError(f"spillway tier: {name}={override} in the tier config, but vLLM's CPU tier view has "
                             f"{name}={derived}; remove the override or make it match")
    row_bytes = row_bytes if row_bytes is not None else view_bytes
    num_rows = num_rows if num_rows is not None else view_rows
    if row_bytes is None or num_rows is None:
        raise ValueError("spillway tier: cannot derive the CPU tier's rows (vLLM's view is not 2-D); set row_bytes "
                         "and num_rows in the tier config")
    if row_bytes <= 0 or row_bytes % mmap.PAGESIZE or num_rows <= 0:
        raise ValueError(f"spillway tier: rows must be a positive multiple of the page size ({mmap.PAGESIZE}) and "
                         f"num_rows positive; got row_bytes={row_bytes}, num_rows={num_rows}")
    if mmap_path is None:
        if not engine_id:
            raise ValueError("spillway tier: cannot find vLLM's engine id to name its CPU region file; set mmap_path "
                             "(/dev/shm/vllm_offload_<engine_id>.mmap) in the tier config")
        mmap_path = f"/dev/shm/vllm_offload_{engine_id}.mmap"
    return RegionGeometry(mmap_path, row_bytes, num_rows)


def namespace_of(vllm_config: Any, geometry: RegionGeometry, offload_block_tokens: int | None = None) -> str:
    """The namespace fingerprint of this vLLM instance's offloaded rows.

    One row of vLLM's shared region holds the block of every TP/PP worker of the replica side by
    side, so the row is keyed by the parallel sizes (the ranks' layout within the row is fixed by
    them and by the row size, which the layout part records), not by one worker's rank.
    """
    model = vllm_config.model_config
    cache = vllm_config.cache_config
    parallel = vllm_config.parallel_config
    tokens = offload_block_tokens or cache.block_size
    layout = (f"vllm-offload-row;row_bytes={geometry.row_bytes};kv_dtype={getattr(cache, 'cache_dtype', 'auto')};"
              f"gpu_block={cache.block_size};ranks=all-in-row")
    return namespace_fingerprint(str(model.model), revision=str(getattr(model, "revision", None) or ""),
                                 dtype=str(model.dtype), tp_size=int(parallel.tensor_parallel_size),
                                 pp_size=int(parallel.pipeline_parallel_size), block_tokens=int(tokens), layout=layout)
