"""Block keys: 32 bytes each.

The daemon mixes every key with the connection's namespace (HELLO), so a client passes its
engine's own 32-byte block hashes as they are. :func:`chain` makes such hashes from token ids for
engines that have none, byte-identical to the Java library's ``BlockKey.chain``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

__all__ = ["ROOT", "chain", "chain_all", "namespace_fingerprint", "namespaced", "from_int"]

ROOT = bytes(32)
"""The parent of a chain's first block."""

_DOMAIN = b"spillway.block-chain.v1"
_TAG = b"spillway.namespaced-key.v1".ljust(32, b"\0")


def chain(parent: bytes, token_ids: Sequence[int], namespace: str = "") -> bytes:
    """The key of the block that extends ``parent`` with ``token_ids`` (SHA-256, no per-process seed)."""
    if len(parent) != 32:
        raise ValueError(f"a parent key is 32 bytes, got {len(parent)}")
    ns = namespace.encode("utf-8")
    h = hashlib.sha256(_DOMAIN)
    h.update(struct.pack("<I", len(ns)) + ns + bytes(parent) + struct.pack(f"<I{len(token_ids)}i", len(token_ids), *token_ids))
    return h.digest()


def chain_all(tokens: Sequence[int], block_tokens: int, namespace: str = "") -> list[bytes]:
    """Keys of every whole block of a prompt, each chained to the previous one."""
    if block_tokens <= 0:
        raise ValueError(f"block_tokens must be positive, got {block_tokens}")
    out, parent = [], ROOT
    for i in range(len(tokens) // block_tokens):
        parent = chain(parent, tokens[i * block_tokens:(i + 1) * block_tokens], namespace)
        out.append(parent)
    return out


def from_int(h: int) -> bytes:
    """A 32-byte key of an engine's integer block hash (two's complement, little-endian)."""
    return (h & ((1 << 256) - 1)).to_bytes(32, "little")


def namespace_fingerprint(model: str, *, revision: str = "", dtype: str, tp_rank: int = 0, tp_size: int = 1,
                          pp_rank: int = 0, pp_size: int = 1, block_tokens: int, layout: str = "") -> str:
    """What makes equal tokens incompatible KV, as one canonical string for HELLO.

    Two clients share blocks exactly when their fingerprints are equal.
    """
    if not model:
        raise ValueError("model must not be empty")
    if not (0 <= tp_rank < tp_size and 0 <= pp_rank < pp_size):
        raise ValueError(f"need 0 <= rank < size, got tp {tp_rank}/{tp_size}, pp {pp_rank}/{pp_size}")
    parts = [f"model={model}", f"revision={revision}", f"dtype={dtype}", f"tp={tp_rank}/{tp_size}",
             f"pp={pp_rank}/{pp_size}", f"block={block_tokens}", f"layout={layout}"]
    return "|".join(p.replace("\\", "\\\\").replace("|", "\\|") for p in parts)


def namespaced(namespace: str, key: bytes) -> bytes:
    """The store's key of ``key`` under ``namespace``, as the daemon derives it (for reference and tests)."""
    return hashlib.sha256(_TAG + hashlib.sha256(namespace.encode("utf-8")).digest() + bytes(key)).digest()
