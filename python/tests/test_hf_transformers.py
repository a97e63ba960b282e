"""PrefixCache with a real transformers causal LM against real daemons.

A tiny Llama with random weights (``from_config``: nothing is downloaded), in float32 on the CPU,
and in bfloat16 on CUDA where there is a GPU (the device step ``hf-test`` of
python/benchmarks/device-run.sh runs both there). Every test runs against a ``Cache|Disk`` daemon
(the DRAM hits copied out of the daemon's arena) and a ``Disk`` one (the hits read into the load
region).

Written against transformers 5 (``DynamicCache``, ``logits_to_keep``), as spillway.hf is. Without
transformers the module is skipped; test_hf_staging.py covers the CPU staging without it.
"""

from __future__ import annotations

import secrets

import pytest

torch = pytest.importorskip("torch", reason="the transformers integration tests need torch")
pytest.importorskip("transformers", reason="the transformers integration tests need transformers 5 "
                    "(pip install transformers); without it only test_hf_staging.py covers spillway.hf's CPU path")

from transformers import AutoModelForCausalLM, LlamaConfig  # noqa: E402

from spillway.hf.prefix_cache import PrefixCache, layer_kv  # noqa: E402

from conftest import flip_in_arena, flip_on_disk, kv_block_bytes, wait_written_back  # noqa: E402

BLOCK = 16
SHARED = 3  # blocks the second prompt shares with the first
FIRST, SUFFIX = 5 * BLOCK, 40  # the first prompt: 5 whole blocks; the second: 3 shared blocks + 40 tokens

# The largest |difference| allowed between the suffix logits computed on loaded KV and those of a
# full prefill of the same prompt. The two are not the same computation: the suffix attends to
# the prefix through the cache (one [prefix | suffix] split) where the full prefill does one pass,
# so the kernels may reduce in another order. The KV itself is exact (checked byte for byte), so
# what is left is rounding. With random weights of the default init (std 0.02) the logits are at
# most about 0.6 in magnitude (measured on a plain-torch model of this architecture and init).
#  * float32 keeps 24 significant bits: sums over 64 hidden dims and <= 88 positions reordered,
#    through 2 layers, move a logit by some 1e-6 at most; 1e-4 leaves a margin of 100.
#  * bfloat16 keeps 8: one unit in the last place of a logit of 0.5 is 0.002, and every hidden
#    state is rounded to bfloat16 after each op, so the paths drift apart by a few units; 0.03 is
#    15 of them.
# Either bound is far below what wrong KV does: the suffix prefilled with no prefix at all is off
# by about 0.5 on that plain-torch model; the test asserts more than 5 x the bound, so a tolerance
# loose enough to hide a wrong load fails it.
TOLERANCE = {torch.float32: 1e-4, torch.bfloat16: 0.03}

DEVICES = [
    pytest.param(("cpu", torch.float32), id="cpu-float32"),
    pytest.param(("cuda", torch.bfloat16), id="cuda-bfloat16", marks=pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="no CUDA device here; the GPU machine runs this (device-run.sh hf-test)")),
]


@pytest.fixture(scope="module", params=DEVICES)
def model(request):
    device, dtype = request.param
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      tie_word_embeddings=False)
    cfg._name_or_path = "spillway-test-tiny-llama"
    torch.manual_seed(0)
    try:
        m = AutoModelForCausalLM.from_config(cfg, dtype=dtype, attn_implementation="sdpa")
    except TypeError:  # transformers < 4.56 calls it torch_dtype
        m = AutoModelForCausalLM.from_config(cfg, torch_dtype=dtype, attn_implementation="sdpa")
    m = m.to(device).eval()
    assert m.dtype == dtype and next(m.parameters()).device.type == device
    return m


@pytest.fixture(params=["Cache|Disk", "Disk"])
def served(request, model, kv_daemon):
    """A PrefixCache on a namespace of the test's own (a fresh revision), and its daemon."""
    from spillway.hf.kvlayout import KvGeometry

    geometry = KvGeometry.from_config(model.config, block_tokens=BLOCK, dtype=model.dtype)
    daemon = kv_daemon(request.param, geometry.block_bytes)
    ns = PrefixCache.namespace_for(model, block_tokens=BLOCK, revision=secrets.token_hex(4))
    with daemon.client(namespace=ns) as client:
        pc = PrefixCache(client, model, block_tokens=BLOCK, max_blocks=16, timeout=30)
        try:
            assert (pc.staging.arena is not None) == (request.param == "Cache|Disk"), pc.staging.arena_note
            yield pc, client, daemon
        finally:
            pc.close()


def _prompts(model, seed: int):
    """The first prompt (5 whole blocks) and a second that shares its first 3 blocks, then differs."""
    g = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    first = torch.randint(0, vocab, (1, FIRST), generator=g)
    second = torch.cat([first[:, :SHARED * BLOCK], torch.randint(0, vocab, (1, SUFFIX), generator=g)], 1)
    device = next(model.parameters()).device
    return first.to(device), second.to(device)


def _full_logits(model, ids, keep: int):
    with torch.inference_mode():
        return model(input_ids=ids, logits_to_keep=keep).logits.float()


def _max_diff(a, b) -> float:
    return (a.float() - b.float()).abs().max().item()


def _dump_all(pc):
    done = pc.wait_dumps()
    assert done and all(r.ok for results in done for r in results), done


def test_a_shared_prefix_is_loaded_and_only_the_suffix_prefilled(model, served):
    pc, client, _ = served
    first_ids, second_ids = _prompts(model, seed=1)
    first = pc.prefill(first_ids)
    assert first.hit_blocks == 0 and first.fallback is None
    _dump_all(pc)
    assert client.lookup_prefix(pc.block_keys(first_ids[0].tolist())) == FIRST // BLOCK

    fed = []  # tokens each forward pass was given
    hook = model.get_input_embeddings().register_forward_hook(lambda _m, args, _out: fed.append(args[0].shape[1]))
    try:
        second = pc.prefill(second_ids, logits_to_keep=SUFFIX)
    finally:
        hook.remove()
    assert (second.hit_blocks, second.hit_tokens, second.fallback) == (SHARED, SHARED * BLOCK, None)
    assert fed == [SUFFIX], f"only the suffix is prefilled, got forward passes of {fed} tokens"
    # The loaded KV is exactly what the first prefill computed and dumped.
    for layer in range(model.config.num_hidden_layers):
        (k1, v1), (k2, v2) = layer_kv(first.past_key_values, layer), layer_kv(second.past_key_values, layer)
        assert k2.shape[2] == second_ids.shape[1]
        assert torch.equal(k2[:, :, :SHARED * BLOCK], k1[:, :, :SHARED * BLOCK])
        assert torch.equal(v2[:, :, :SHARED * BLOCK], v1[:, :, :SHARED * BLOCK])

    full = _full_logits(model, second_ids, SUFFIX)
    tolerance = TOLERANCE[model.dtype]
    assert second.logits.shape == full.shape
    assert _max_diff(second.logits, full) <= tolerance
    alone = _full_logits(model, second_ids[:, SHARED * BLOCK:], SUFFIX)
    assert _max_diff(alone, full) > 5 * tolerance, "the prefix must matter, or this test could not see a wrong load"

    # The second prompt's new whole blocks were dumped: a third request finds all of them.
    _dump_all(pc)
    assert client.lookup_prefix(pc.block_keys(second_ids[0].tolist())) == second_ids.shape[1] // BLOCK


def test_a_block_missing_from_the_store_shortens_the_hit(model, served):
    pc, client, _ = served
    first_ids, second_ids = _prompts(model, seed=2)
    pc.prefill(first_ids)
    _dump_all(pc)
    assert client.delete([pc.block_keys(first_ids[0].tolist())[2]]) == 1
    second = pc.prefill(second_ids, logits_to_keep=SUFFIX + BLOCK)
    assert (second.hit_blocks, second.fallback) == (2, None)
    assert _max_diff(second.logits, _full_logits(model, second_ids, SUFFIX + BLOCK)) <= TOLERANCE[model.dtype]


def test_a_corrupt_block_makes_the_prefill_recompute_then_the_store_heals(model, served):
    pc, client, daemon = served
    first_ids, second_ids = _prompts(model, seed=3)
    first = pc.prefill(first_ids)
    _dump_all(pc)
    bad_key = pc.block_keys(first_ids[0].tolist())[1]
    layers = [layer_kv(first.past_key_values, i) for i in range(model.config.num_hidden_layers)]
    bad = kv_block_bytes(layers, pc.geometry, 1)
    if pc.staging.arena is not None:
        wait_written_back(client)  # a DRAM copy that fails its CRC falls back to the disk tier's: spoil both
        flip_in_arena(client, bad_key)
    flip_on_disk(daemon.directory, bad, len(bad) // 2)

    second = pc.prefill(second_ids, logits_to_keep=SUFFIX)
    assert second.hit_blocks == 0 and second.fallback and "CORRUPT" in second.fallback, second.fallback
    full = _full_logits(model, second_ids, SUFFIX)
    assert _max_diff(second.logits, full) <= TOLERANCE[model.dtype]

    # The recompute dumped the second prompt's whole blocks, the spoiled one among them: all hit now.
    _dump_all(pc)
    whole = second_ids.shape[1] // BLOCK
    rest = second_ids.shape[1] - whole * BLOCK
    third = pc.prefill(second_ids, logits_to_keep=rest)
    assert (third.hit_blocks, third.fallback) == (whole, None)
    assert _max_diff(third.logits, full[:, -rest:]) <= TOLERANCE[model.dtype]
