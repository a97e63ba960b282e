"""vLLM integration: :class:`SpillwayTier`, a secondary tier of vLLM's tiered KV offloading.

Configure vLLM with ``spec_name: SpillwayTieringSpec``, ``spec_module_path: spillway.vllm.spec`` and
``secondary_tiers: [{"type": "spillway"}]`` (python/VLLM.md has the full ``--kv-transfer-config``).
Works without vLLM installed only for testing (see :mod:`spillway.vllm._compat`).
"""

from ._compat import VLLM_AVAILABLE, JobMetadata, JobResult, SecondaryTierManager
from .config import HashNotDeterministic, check_hash_determinism, store_key
from .tier import SpillwayTier

__all__ = ["SpillwayTier", "HashNotDeterministic", "check_hash_determinism", "store_key", "VLLM_AVAILABLE",
           "JobMetadata", "JobResult", "SecondaryTierManager"]
