"""The module vLLM loads through ``spec_module_path``: registers tier type ``spillway``.

Importing it registers ``SecondaryTierFactory.register_tier("spillway", "spillway.vllm.tier",
"SpillwayTier")`` when vLLM is importable, and defines ``SpillwayTieringSpec``, vLLM's own
``TieringOffloadingSpec`` under a name vLLM does not register itself: vLLM's spec factory imports
``spec_module_path`` only for a ``spec_name`` it does not know, so the import (and with it the
registration) happens only with this name. Use::

    "spec_name": "SpillwayTieringSpec", "spec_module_path": "spillway.vllm.spec"

Without vLLM the module imports (for tests) and :func:`register` returns False.
"""

from __future__ import annotations

from ._compat import VLLM_AVAILABLE

__all__ = ["TIER_TYPE", "register"]

TIER_TYPE = "spillway"


def register() -> bool:
    """Registers the tier type with vLLM's factory once; False where vLLM is not installed."""
    if not VLLM_AVAILABLE:
        return False
    from vllm.v1.kv_offload.tiering.factory import SecondaryTierFactory

    if TIER_TYPE not in SecondaryTierFactory._registry:  # the factory refuses a second registration
        SecondaryTierFactory.register_tier(TIER_TYPE, "spillway.vllm.tier", "SpillwayTier")
    return True


if register():
    from vllm.v1.kv_offload.tiering.spec import TieringOffloadingSpec

    class SpillwayTieringSpec(TieringOffloadingSpec):
        """vLLM's ``TieringOffloadingSpec`` unchanged; its name makes vLLM import this module."""

    __all__.append("SpillwayTieringSpec")
