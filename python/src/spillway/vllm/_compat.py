"""vLLM's secondary-tier types, or a minimal stand-in of them where vLLM is not installed.

With vLLM importable, ``JobMetadata``, ``JobResult`` and ``SecondaryTierManager`` are vLLM's own
(``vllm.v1.kv_offload.tiering.base``), so :class:`~spillway.vllm.tier.SpillwayTier` is a real
subclass that vLLM's ``SecondaryTierFactory`` accepts. Without vLLM, the classes below stand in for
them: same names, same fields, same method signatures, as read at vllm-project/vllm commit
041410b9b13a5e762e6bfce4a0ce39574def5919. They exist only so that the tier can be imported and its
contract tests can run on machines where vLLM cannot be installed; they carry no vLLM behaviour.

A vLLM that is installed but lacks the tiering module (an older or much newer release) is an
error, not a reason to fall back: a stand-in subclass would be rejected by vLLM later, far from
the cause.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["VLLM_AVAILABLE", "JobMetadata", "JobResult", "SecondaryTierManager"]

VLLM_AVAILABLE = importlib.util.find_spec("vllm") is not None

if VLLM_AVAILABLE:
    try:
        from vllm.v1.kv_offload.tiering.base import JobMetadata, JobResult, SecondaryTierManager
    except ImportError as e:
        raise ImportError(
            "vLLM is installed but has no vllm.v1.kv_offload.tiering.base (JobMetadata, JobResult, "
            "SecondaryTierManager); spillway.vllm targets the tiering interface of vllm-project/vllm "
            f"commit 041410b9 (see python/VLLM.md): {e}") from e
else:

    @dataclass
    class JobMetadata:  # type: ignore[no-redef]
        """Stand-in of vLLM's ``JobMetadata``: one transfer between the CPU tier and a secondary tier."""

        job_id: int
        keys: Collection[bytes]
        """vLLM's ``OffloadKey``s: a block hash followed by its KV-cache group index (4 bytes, big-endian)."""
        block_ids: Any
        """numpy array of CPU-tier row numbers, one per key."""
        is_promotion: bool
        req_context: Any

    @dataclass
    class JobResult:  # type: ignore[no-redef]
        """Stand-in of vLLM's ``JobResult``."""

        job_id: int
        success: bool

    class SecondaryTierManager(ABC):  # type: ignore[no-redef]
        """Stand-in of vLLM's ``SecondaryTierManager``: every method runs in the scheduler and returns at once."""

        def __init__(self, offloading_spec: Any, primary_kv_view: memoryview | None, tier_type: str) -> None:
            self._offloading_spec = offloading_spec
            self._primary_kv_view = primary_kv_view
            self.tier_type = tier_type

        @abstractmethod
        def lookup(self, key: bytes, req_context: Any) -> bool | None: ...

        @abstractmethod
        def submit_store(self, job_metadata: JobMetadata) -> None: ...

        @abstractmethod
        def submit_load(self, job_metadata: JobMetadata) -> None: ...

        @abstractmethod
        def get_finished(self) -> Iterable[JobResult]: ...

        def touch(self, keys: Collection[bytes], req_context: Any) -> None:
            return

        def request_finished(self, req_context: Any) -> None:
            return

        def shutdown(self) -> None:
            return
