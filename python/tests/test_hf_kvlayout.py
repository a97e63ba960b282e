"""The HF connector's block layout, on the CPU (Debian's torch): gather and scatter are exact inverses."""

import types

import pytest

torch = pytest.importorskip("torch", reason="the HF connector's tests need torch (apt-get install python3-torch)")

from spillway.hf.kvlayout import KvGeometry, gather_blocks, scatter_blocks  # noqa: E402

from conftest import random_kv  # noqa: E402


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_gather_then_scatter_returns_exactly_the_blocks(dtype):
    geometry = KvGeometry(layers=3, kv_heads=2, head_dim=8, dtype=dtype, block_tokens=4)
    layers = random_kv(geometry, batch=2, tokens=22, seed=7)
    packed = gather_blocks(layers, geometry, first_block=1, n_blocks=4)
    assert packed.shape == (2, 4, geometry.block_bytes) and packed.dtype == torch.uint8
    back = scatter_blocks(packed, geometry)
    for (k, v), (k2, v2) in zip(layers, back):
        assert torch.equal(k[:, :, 4:20], k2) and torch.equal(v[:, :, 4:20], v2)


def test_block_bytes_follow_the_documented_layout():
    geometry = KvGeometry(layers=2, kv_heads=1, head_dim=2, dtype=torch.float32, block_tokens=2)
    k = torch.arange(8, dtype=torch.float32).view(1, 1, 4, 2)
    layers = [(k, k + 100), (k + 200, k + 300)]
    block0 = gather_blocks(layers, geometry, 0, 1).view(torch.float32).flatten().tolist()
    # layer 0 K tokens 0-1, layer 0 V, layer 1 K, layer 1 V; each [heads=1, tokens=2, dim=2]
    assert block0 == [0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302, 303]
    assert geometry.block_bytes == 16 * 4 and geometry.token_bytes == 8 * 4


def test_qwq_geometry_from_a_config_is_256_kib_per_token():
    cfg = types.SimpleNamespace(num_hidden_layers=64, num_attention_heads=40, num_key_value_heads=8, hidden_size=5120)
    geometry = KvGeometry.from_config(cfg, block_tokens=128, dtype=torch.bfloat16)
    assert geometry.head_dim == 128 and geometry.token_bytes == 256 << 10 and geometry.block_bytes == 32 << 20
    assert "kv_heads=8" in geometry.fingerprint() and "dtype=bfloat16" in geometry.fingerprint()


def test_bad_input_is_refused_with_what_is_wrong():
    geometry = KvGeometry(layers=2, kv_heads=2, head_dim=4, dtype=torch.bfloat16, block_tokens=4)
    layers = random_kv(geometry, batch=1, tokens=8, seed=1)
    with pytest.raises(ValueError, match="need 12"):
        gather_blocks(layers, geometry, 1, 2)
    with pytest.raises(ValueError, match="1 layers of KV given; the geometry has 2"):
        gather_blocks(layers[:1], KvGeometry(2, 2, 4, torch.bfloat16, 4), 0, 1)
    with pytest.raises(ValueError, match="float16"):
        gather_blocks([(k.half(), v.half()) for k, v in layers], geometry, 0, 1)
    with pytest.raises(ValueError, match="staging is"):
        scatter_blocks(torch.zeros((1, 2, 7), dtype=torch.uint8), geometry)
    with pytest.raises(ValueError, match="positive int"):
        KvGeometry(0, 2, 4, torch.bfloat16, 4)
