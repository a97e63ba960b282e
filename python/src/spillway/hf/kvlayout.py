"""The byte layout of one Spillway block of a Hugging Face causal LM's KV cache.

One store block is ``block_tokens`` consecutive tokens of one sequence across *all* layers (the
seeds' ``kv_block_size``). Inside a block, in order::

    for layer in 0 .. layers-1:
        K[layer]  as [kv_heads, block_tokens, head_dim]   (the model's KV dtype, C order)
        V[layer]  as [kv_heads, block_tokens, head_dim]

so a block is the tensor ``[layers, 2, kv_heads, block_tokens, head_dim]``. This is the layout HF's
attention keeps per layer (``[batch, kv_heads, seq, head_dim]``) with the sequence cut into blocks,
which makes both directions one strided copy per layer on the GPU:

* :func:`gather_blocks` packs blocks out of per-layer K/V tensors (for a dump), and
* :func:`scatter_blocks` unpacks a ``[batch, n_blocks, block_bytes]`` staging tensor (filled by one
  host-to-device copy of many blocks) back into per-layer K/V tensors (for a load).

The geometry and the dtype are part of the key namespace (:meth:`KvGeometry.fingerprint`): two
models whose blocks would not be byte-compatible never share keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import torch

LayerKV = Tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class KvGeometry:
    """What fixes the size and layout of a block."""

    layers: int
    kv_heads: int
    head_dim: int
    dtype: torch.dtype
    block_tokens: int

    def __post_init__(self) -> None:
        for name in ("layers", "kv_heads", "head_dim", "block_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"KvGeometry.{name} must be a positive int, got {value!r}")
        if not self.dtype.is_floating_point:
            raise ValueError(f"KvGeometry.dtype must be a floating-point dtype, got {self.dtype}")

    @classmethod
    def from_config(cls, config, block_tokens: int = 128, dtype: torch.dtype | None = None) -> "KvGeometry":
        """The geometry of a transformers ``PretrainedConfig`` (Llama, Qwen2, Mistral and alike)."""
        layers = int(config.num_hidden_layers)
        heads = int(config.num_attention_heads)
        kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
        head_dim = getattr(config, "head_dim", None) or int(config.hidden_size) // heads
        if dtype is None:
            dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.bfloat16
            if isinstance(dtype, str):
                dtype = getattr(torch, dtype)
        return cls(layers, kv_heads, int(head_dim), dtype, int(block_tokens))

    @property
    def itemsize(self) -> int:
        return torch.empty((), dtype=self.dtype).element_size()

    @property
    def token_bytes(self) -> int:
        """KV bytes of one token over all layers."""
        return self.layers * 2 * self.kv_heads * self.head_dim * self.itemsize

    @property
    def block_bytes(self) -> int:
        return self.token_bytes * self.block_tokens

    def block_shape(self) -> Tuple[int, int, int, int, int]:
        return (self.layers, 2, self.kv_heads, self.block_tokens, self.head_dim)

    def fingerprint(self) -> str:
        """A stable string of everything that makes blocks byte-compatible (for the key namespace)."""
        dtype = str(self.dtype).replace("torch.", "")
        return (f"layout=hf-lkhtd;layers={self.layers};kv_heads={self.kv_heads};head_dim={self.head_dim};"
                f"dtype={dtype};block_tokens={self.block_tokens}")


def gather_blocks(layers_kv: Sequence[LayerKV], geometry: KvGeometry, first_block: int, n_blocks: int,
                  out: torch.Tensor | None = None) -> torch.Tensor:
    """Packs blocks ``first_block .. first_block+n_blocks-1`` of every sequence of the batch.

    ``layers_kv[l]`` is layer ``l``'s ``(K, V)``, each ``[batch, kv_heads, seq, head_dim]`` with
    ``seq >= (first_block + n_blocks) * block_tokens``. Returns (or fills) a uint8 tensor
    ``[batch, n_blocks, block_bytes]`` on the tensors' device.
    """
    _check_layers(layers_kv, geometry)
    k0 = layers_kv[0][0]
    batch = k0.shape[0]
    start = first_block * geometry.block_tokens
    end = start + n_blocks * geometry.block_tokens
    if k0.shape[2] < end:
        raise ValueError(f"the cache holds {k0.shape[2]} tokens; blocks {first_block}..{first_block + n_blocks - 1}"
                         f" need {end}")
    if out is None:
        out = torch.empty((batch, n_blocks, geometry.block_bytes), dtype=torch.uint8, device=k0.device)
    _check_staging(out, geometry, batch, n_blocks)
    typed = _typed_view(out, geometry, batch, n_blocks)  # [B, n, L, 2, H, N, D]
    h, t, d = geometry.kv_heads, geometry.block_tokens, geometry.head_dim
    for layer, (k, v) in enumerate(layers_kv):
        for which, src in ((0, k), (1, v)):
            # [B, H, n*N, D] -> [B, H, n, N, D] -> [B, n, H, N, D]
            blocks = src[:, :, start:end, :].reshape(batch, h, n_blocks, t, d).permute(0, 2, 1, 3, 4)
            typed[:, :, layer, which].copy_(blocks)
    return out


def scatter_blocks(staging: torch.Tensor, geometry: KvGeometry) -> List[LayerKV]:
    """Unpacks ``[batch, n_blocks, block_bytes]`` into per-layer ``(K, V)`` of ``[batch, kv_heads, n_blocks*block_tokens, head_dim]``.

    One contiguous copy per layer and per K/V, on the staging tensor's device (the GPU: a few
    milliseconds for gigabytes). The results do not alias ``staging``, so it can be reused at once.
    """
    if staging.dim() != 3:
        raise ValueError(f"staging must be [batch, n_blocks, block_bytes], got shape {tuple(staging.shape)}")
    batch, n_blocks, _ = staging.shape
    _check_staging(staging, geometry, batch, n_blocks)
    typed = _typed_view(staging, geometry, batch, n_blocks)
    h, t, d = geometry.kv_heads, geometry.block_tokens, geometry.head_dim
    out: List[LayerKV] = []
    for layer in range(geometry.layers):
        pair = []
        for which in (0, 1):
            # [B, n, H, N, D] -> [B, H, n, N, D] -> [B, H, n*N, D]
            pair.append(typed[:, :, layer, which].permute(0, 2, 1, 3, 4).reshape(batch, h, n_blocks * t, d).contiguous())
        out.append((pair[0], pair[1]))
    return out


def _typed_view(staging: torch.Tensor, geometry: KvGeometry, batch: int, n_blocks: int) -> torch.Tensor:
    return staging.view(geometry.dtype).view(batch, n_blocks, *geometry.block_shape())


def _check_staging(staging: torch.Tensor, geometry: KvGeometry, batch: int, n_blocks: int) -> None:
    if staging.dtype != torch.uint8 or not staging.is_contiguous():
        raise ValueError("staging must be a contiguous uint8 tensor")
    if tuple(staging.shape) != (batch, n_blocks, geometry.block_bytes):
        raise ValueError(f"staging is {tuple(staging.shape)}; expected {(batch, n_blocks, geometry.block_bytes)}")


def _check_layers(layers_kv: Sequence[LayerKV], geometry: KvGeometry) -> None:
    if len(layers_kv) != geometry.layers:
        raise ValueError(f"{len(layers_kv)} layers of KV given; the geometry has {geometry.layers}")
    for layer, (k, v) in enumerate(layers_kv):
        for name, x in (("K", k), ("V", v)):
            if x.dim() != 4 or x.shape[1] != geometry.kv_heads or x.shape[3] != geometry.head_dim:
                raise ValueError(f"layer {layer} {name} is {tuple(x.shape)}; expected [batch, {geometry.kv_heads}, seq,"
                                 f" {geometry.head_dim}]")
            if x.dtype != geometry.dtype:
                raise ValueError(f"layer {layer} {name} is {x.dtype}; the geometry says {geometry.dtype}")
