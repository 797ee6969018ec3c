"""The attention probe: rows equal eager attention maps; head masks do what they say."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache

from harness.engine import probe
from tests.helpers.tiny_lm import tiny_llama


def _ids(n: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(3, 400, (1, n), generator=g)


@pytest.mark.parametrize("rows", ["last", "span"])
@pytest.mark.parametrize("masked", [False, True])
def test_rows_equal_eager_attention_maps(rows, masked):
    model = tiny_llama(attn="eager")
    ids = _ids(40)
    wanted = "last" if rows == "last" else list(range(25, 40))
    hm = probe.HeadMask.from_heads([["1-2", "3-0"]], 4, 4, "uniform") if masked else None
    cap = probe.CaptureRows()
    with torch.no_grad(), probe.masking(hm), probe.probing(wanted, [cap]):
        out = model(ids, output_attentions=True)
    ref = torch.stack([a[0] for a in out.attentions])  # (L, H, N, N), eager, same masks
    sel = [39] if rows == "last" else list(range(25, 40))
    got = cap.stack()[:, 0]
    assert got.shape == (4, 4, len(sel), 40)
    torch.testing.assert_close(got, ref[:, :, sel], atol=1e-6, rtol=0)


def test_rows_through_kv_cache_equal_one_shot():
    model = tiny_llama()
    ids = _ids(30)
    one = probe.CaptureRows()
    with torch.no_grad(), probe.probing(range(20, 30), [one]):
        model(ids, past_key_values=DynamicCache())
    cache = DynamicCache()
    two = probe.CaptureRows()
    with torch.no_grad():
        model(ids[:, :20], past_key_values=cache)
        with probe.probing(range(20, 30), [two]):
            model(ids[:, 20:], past_key_values=cache)
    torch.testing.assert_close(two.stack(), one.stack(), atol=1e-5, rtol=0)


def test_row_chunking_changes_nothing(monkeypatch):
    model = tiny_llama()
    ids = _ids(32)
    full, chunked = probe.CaptureRows(), probe.CaptureRows()
    with torch.no_grad(), probe.probing("all", [full]):
        model(ids, past_key_values=DynamicCache())
    monkeypatch.setattr(probe, "_ROW_CHUNK_ELEMENTS", 4 * 32 * 3)  # 3 rows at a time
    with torch.no_grad(), probe.probing("all", [chunked]):
        model(ids, past_key_values=DynamicCache())
    torch.testing.assert_close(chunked.stack(), full.stack(), atol=0, rtol=0)


def test_sliding_window_rows_match_reference():
    q = torch.randn(1, 4, 3, 8)
    k = torch.randn(1, 2, 10, 8)
    pos = torch.tensor([5, 8, 9])
    got = probe.attention_rows(q, k, pos, 0.35, sliding_window=4)
    kk = k.repeat_interleave(2, dim=1)
    for r, p in enumerate(pos.tolist()):
        scores = torch.einsum("hd,hnd->hn", q[0, :, r], kk[0]) * 0.35
        vis = torch.zeros(10, dtype=torch.bool)
        vis[max(0, p - 3) : p + 1] = True
        ref = torch.softmax(scores.masked_fill(~vis, float("-inf")), -1)
        torch.testing.assert_close(got[0, :, r], ref, atol=1e-6, rtol=0)


def test_uniform_and_zero_masks_per_batch_row():
    """Rows of one batch mask different heads; uniform -> uniform attention & mean of V; zero -> zero output."""
    model = tiny_llama()
    ids = _ids(24)
    cache = DynamicCache()
    with torch.no_grad():
        model(ids[:, :-1], past_key_values=cache)
    k_prefix = [layer.keys.clone() for layer in cache.layers]
    v_prefix = [layer.values.clone() for layer in cache.layers]
    heads = [["1-2"], ["2-1", "2-3"], []]
    from harness.engine.kvcache import expanded

    for mode in ("uniform", "zero"):
        work = expanded(cache, 3)
        hm = probe.HeadMask.from_heads(heads, 4, 4, mode)
        cap = probe.CaptureRows()
        x = ids[:, -1:].repeat(3, 1)
        with torch.no_grad(), probe.masking(hm), probe.probing("last", [cap]), \
                probe.capturing(outputs=True) as st:
            model(x, past_key_values=work)
        rows = cap.stack()  # (L, B, H, 1, N)
        outs = st.outputs
        for b, hs in enumerate(heads):
            for h_id in hs:
                layer, h = probe.parse_head(h_id)
                if mode == "uniform":
                    torch.testing.assert_close(rows[layer, b, h, 0], torch.full((24,), 1 / 24), atol=1e-6, rtol=0)
                    v = torch.cat([v_prefix[layer][0, h // 2], work.layers[layer].values[b, h // 2, -1:]], 0)
                    torch.testing.assert_close(outs[layer][b, 0, h], v.mean(0), atol=1e-5, rtol=0)
                else:
                    assert torch.count_nonzero(outs[layer][b, 0, h]) == 0
            # an unmasked row of the batch is untouched at layer 0 (nothing upstream differs)
        assert torch.count_nonzero(outs[0][2]) > 0
    del k_prefix


def test_head_mask_validation():
    with pytest.raises(ValueError, match="outside"):
        probe.HeadMask.from_heads([["9-0"]], 4, 4)
    with pytest.raises(ValueError, match="mode"):
        probe.HeadMask(torch.zeros(1, 4, 4, dtype=torch.bool), "drop")
    with pytest.raises(ValueError, match="layer-head"):
        probe.parse_head("12")


def test_consumers_reduce_rows():
    model = tiny_llama()
    ids = _ids(20)
    cap, sums, top, rs = probe.CaptureRows(), probe.RegionSums([(0, 10), (5, 20), (3, 3)]), probe.Top1(), \
        probe.RowSum(12)
    with torch.no_grad(), probe.probing(range(15, 20), [cap, sums, top, rs]):
        model(ids, past_key_values=DynamicCache())
    rows = cap.stack()  # (L, 1, H, 5, 20)
    s = sums.stack()
    torch.testing.assert_close(s[..., 0], rows[..., :10].sum(-1), atol=1e-6, rtol=0)
    torch.testing.assert_close(s[..., 1], rows[..., 5:].sum(-1), atol=1e-6, rtol=0)
    assert torch.all(s[..., 2] == 0)
    assert torch.equal(top.stack(), rows.argmax(-1))
    torch.testing.assert_close(rs.mean(), rows[..., :12].mean(3), atol=1e-6, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_rows_and_masks(dtype):
    """On CUDA: probe rows equal eager maps; shared-prefix batched decoding equals per-row copies."""
    from harness.engine.decoding import StopRule, decode_batch, prefill

    model = tiny_llama(attn="eager").to("cuda", dtype)
    ids = _ids(300).cuda()
    hm = probe.HeadMask.from_heads([["1-2"]], 4, 4, "uniform")
    cap = probe.CaptureRows()
    with torch.no_grad(), probe.masking(hm), probe.probing(list(range(280, 300)), [cap]):
        out = model(ids, output_attentions=True)
    ref = torch.stack([a[0] for a in out.attentions]).float()[:, :, 280:].cpu()
    got = cap.stack()[:, 0]
    if dtype == torch.float32:
        torch.testing.assert_close(got, ref, atol=1e-5, rtol=0)
    else:
        # eager bf16 rounds its scores and weights to bf16; the probe keeps float32 scores from the same q, k
        torch.testing.assert_close(got.sum(-1), torch.ones_like(got.sum(-1)), atol=1e-5, rtol=0)
        assert (got - ref).abs().max() < 0.1
        assert (got.argmax(-1) == ref.argmax(-1)).float().mean() > 0.9
    sdpa = tiny_llama(attn="sdpa").to("cuda", torch.float32)
    cache = prefill(sdpa, ids[0, :-1].tolist())
    sets = [[], ["1-1", "2-0"], ["3-3"]]
    args = (sdpa, cache, ids[0, -1:].tolist(), sets, "uniform", 5, StopRule.for_tokenizer(None))
    assert decode_batch(*args, share_prefix=True) == decode_batch(*args, share_prefix=False)
