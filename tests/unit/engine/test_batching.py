"""Rows over a shared prefix: the batched attention equals plain attention over each row's own keys, pad keys
are never seen, and the row chunking and stop tracking of the batched decoder do what they say."""

from __future__ import annotations

import pytest
import torch

from harness.engine import graphs
from harness.engine.batched_decode import StopTracker, batch_shape, row_chunks
from harness.engine.batching import RowsShape, SharedRows, by_row, padded_index

L, HK, D, H = 2, 2, 8, 4  # layers, KV heads, head dim, query heads (GQA 2)


class _Layer(torch.nn.Module):
    def __init__(self, idx: int, window: int | None = None) -> None:
        super().__init__()
        self.layer_idx, self.sliding_window = idx, window


def _reference(q, k, v, q_pos, k_pos, window=None):
    """Plain causal attention of one row: q (H, R, d) at q_pos over keys (H_kv, N, d) at k_pos."""
    kk = k.repeat_interleave(H // HK, dim=0)
    vv = v.repeat_interleave(H // HK, dim=0)
    s = q @ kk.transpose(-1, -2) * D**-0.5
    vis = k_pos[None, :] <= q_pos[:, None]
    if window:
        vis &= k_pos[None, :] > q_pos[:, None] - window
    p = torch.softmax(s.masked_fill(~vis, float("-inf")), -1)
    return p @ vv, p


def _rows(prefix_len: int, prefix_cap: int, seg_cap: int, lengths: list[int], r: int = 1, t_cap: int = 3):
    g = torch.Generator().manual_seed(0)
    shape = RowsShape(L, HK, D, H, len(lengths), r, prefix_cap, seg_cap, t_cap)
    rows = SharedRows(shape, "cpu")
    pre = [(torch.randn(1, HK, prefix_len, D, generator=g), torch.randn(1, HK, prefix_len, D, generator=g))
           for _ in range(L)]
    rows.load_prefix(pre, prefix_len)
    rows.set_segment_lengths(lengths)
    return rows, pre, g


@pytest.mark.parametrize("window", [None, 4])
@pytest.mark.parametrize("caps", [(6, 5), (9, 8)])  # exact capacities, and padded ones (graph buckets)
def test_prompt_and_decode_calls_equal_plain_attention(window, caps):
    p, (p_cap, m_cap) = 6, caps
    lengths = [5, 2]  # right-padded segments of two prompts
    rows, pre, g = _rows(p, p_cap, m_cap, lengths, r=2)
    mod = _Layer(1, window)
    qs = torch.randn(2, H, m_cap, D, generator=g)
    ks, vs = torch.randn(2, HK, m_cap, D, generator=g), torch.randn(2, HK, m_cap, D, generator=g)
    got_probs = []
    rows.consumers = [lambda layer, probs, r_: got_probs.append(by_row(probs))]
    rows.begin_prompt_call()
    out = rows.attend(mod, qs, ks, vs, D**-0.5)  # (Q, M, H, d)
    pk, pv = pre[1][0][0], pre[1][1][0]
    pos_table = rows.positions()
    for b, n in enumerate(lengths):
        k = torch.cat([pk, ks[b, :, :n]], 1)
        v = torch.cat([pv, vs[b, :, :n]], 1)
        pos = torch.arange(p + n)
        ref, ref_p = _reference(qs[b, :, :n], k, v, pos[p:], pos, window)
        torch.testing.assert_close(out[b, :n].transpose(0, 1), ref, atol=1e-5, rtol=0)
        cols = torch.tensor(padded_index(range(p + n), p, p_cap))
        probs = got_probs[0][b, :, :n]
        torch.testing.assert_close(probs[..., cols], ref_p, atol=1e-6, rtol=0)
        assert float(probs.sum(-1).min()) == pytest.approx(1.0, abs=1e-5)  # nothing outside the real keys
        assert pos_table[b, cols].tolist() == list(range(p + n))
    # two decode steps of the four rows (2 per prompt): each row sees prefix, its prompt's real tokens, its own
    own_k, own_v, own_q = [], [], []
    for t in range(2):
        step = torch.tensor([t])
        qpos = rows.begin_decode_call(step)
        q1 = torch.randn(4, H, 1, D, generator=g)
        k1, v1 = torch.randn(4, HK, 1, D, generator=g), torch.randn(4, HK, 1, D, generator=g)
        own_k.append(k1)
        own_v.append(v1)
        own_q.append(q1)
        out = rows.attend(mod, q1, k1, v1, D**-0.5)
        for b in range(4):
            n = lengths[b // 2]
            assert int(qpos[b, 0]) == p + n + t
            k = torch.cat([pk, ks[b // 2, :, :n]] + [x[b] for x in own_k], 1)
            v = torch.cat([pv, vs[b // 2, :, :n]] + [x[b] for x in own_v], 1)
            pos = torch.arange(p + n + t + 1)
            ref, _ = _reference(q1[b], k, v, pos[-1:], pos, window)
            torch.testing.assert_close(out[b].transpose(0, 1), ref, atol=1e-5, rtol=0)


def test_pad_keys_change_nothing():
    """Garbage in the pad slots of the prefix and of a short segment leaves every real output unchanged."""
    rows, _, g = _rows(4, 8, 6, [6, 3])
    mod = _Layer(0)
    qs, ks, vs = (torch.randn(2, H, 6, D, generator=g), torch.randn(2, HK, 6, D, generator=g),
                  torch.randn(2, HK, 6, D, generator=g))
    rows.begin_prompt_call()
    a = rows.attend(mod, qs, ks, vs, D**-0.5)
    ks2, vs2 = ks.clone(), vs.clone()
    ks2[1, :, 3:] += 100.0
    vs2[1, :, 3:] -= 50.0
    rows.pre_k[0][:, 4:] = 1e3
    rows.pre_v[0][:, 4:] = -1e3
    rows.begin_prompt_call()
    b = rows.attend(mod, qs, ks2, vs2, D**-0.5)
    torch.testing.assert_close(a[0], b[0], atol=0, rtol=0)
    torch.testing.assert_close(a[1, :3], b[1, :3], atol=0, rtol=0)
    assert torch.isfinite(b).all()


def test_head_masks_apply_to_decode_rows_only():
    rows, _, g = _rows(3, 3, 2, [2], r=2, t_cap=1)
    mod = _Layer(1)
    qs, ks, vs = (torch.randn(1, H, 2, D, generator=g), torch.randn(1, HK, 2, D, generator=g),
                  torch.randn(1, HK, 2, D, generator=g))
    mask = torch.zeros(2, L, H, dtype=torch.bool)
    mask[1, 1, 2] = True  # row 1: layer 1, head 2
    rows.set_head_mask(mask, "zero")
    rows.begin_prompt_call()
    rows.attend(mod, qs, ks, vs, D**-0.5)  # prompt calls are never masked
    rows.begin_decode_call(torch.tensor([0]))
    q1 = torch.randn(1, H, 1, D, generator=g).expand(2, -1, -1, -1)
    k1, v1 = torch.randn(1, HK, 1, D, generator=g).expand(2, -1, -1, -1), torch.randn(1, HK, 1, D).expand(2, -1, -1, -1)
    out = rows.attend(mod, q1, k1, v1, D**-0.5)
    assert float(out[1, 0, 2].abs().max()) == 0.0 and float(out[0, 0, 2].abs().max()) > 0
    torch.testing.assert_close(out[0, 0, [0, 1, 3]], out[1, 0, [0, 1, 3]])
    rows.set_head_mask(mask, "uniform")
    rows.begin_decode_call(torch.tensor([0]))
    seen = []
    rows.consumers = [lambda layer, probs, r_: seen.append(by_row(probs))]
    rows.attend(mod, q1, k1, v1, D**-0.5)
    row = seen[0][1, 2, 0]  # the masked head's row: uniform over the 3 + 2 + 1 visible keys
    torch.testing.assert_close(row[row > 0], torch.full((6,), 1 / 6))


def test_row_chunks_pack_whole_prompts_and_split_large_ones():
    assert row_chunks([3, 3, 3], 9) == [[(0, 0, 3), (1, 0, 3), (2, 0, 3)]]
    assert row_chunks([3, 3, 3], 6) == [[(0, 0, 3), (1, 0, 3)], [(2, 0, 3)]]
    assert row_chunks([5, 0, 2], 4) == [[(0, 0, 4)], [(0, 4, 5)], [(2, 0, 2)]]
    assert row_chunks([2, 4], 6) == [[(0, 0, 2)], [(1, 0, 4)]]  # 2 prompts x 4 rows would not fit
    with pytest.raises(ValueError):
        row_chunks([1], 0)


class _StopAt:
    def __init__(self, token: int) -> None:
        self.token, self.calls = token, 0

    def done(self, ids):
        self.calls += 1
        return int(ids[-1]) == self.token


def test_stop_tracker_cuts_each_row_at_its_stop_checking_each_prefix_once():
    stop = _StopAt(9)
    tr = StopTracker(stop, [0, 1, 2])
    gen = [[1, 9, 9, 4], [2, 3, 4, 5], [9, 1, 1, 1]]
    assert not tr.update([row[:2] for row in gen])
    assert not tr.update(gen)
    assert tr.cut(gen, 4) == {0: [1, 9], 1: [2, 3, 4, 5], 2: [9]}
    assert stop.calls == 2 + 1 + 4  # row 0: 2 prefixes, row 2: 1, row 1: 4 (never again once stopped)
    assert tr.cut(gen, 3)[1] == [2, 3, 4]


def test_graph_buckets_only_where_graphs_run():
    from tests.helpers.tiny_lm import tiny_llama

    model = tiny_llama()
    exact = batch_shape(model, 37, 5, 3, 7, 4, graphs_on=False)
    padded = batch_shape(model, 37, 5, 3, 7, 4, graphs_on=True)
    assert (exact.prefix_cap, exact.segment_cap, exact.rows_per_prompt) == (37, 5, 7)
    assert padded.prefix_cap % 512 == 0 and padded.segment_cap % 16 == 0 and padded.rows_per_prompt == 8
    assert batch_shape(model, 37, 5, 3, 1, 4, graphs_on=True).rows_per_prompt == 1


def test_graph_mode_setting(monkeypatch):
    monkeypatch.setenv(graphs.GRAPHS_ENV, "off")
    assert graphs.graph_mode() == "off" and not graphs.wants_graphs("cpu")
    graphs.set_graph_mode("auto")
    try:
        assert graphs.graph_mode() == "auto" and not graphs.wants_graphs("cpu")
        graphs.set_graph_mode("on")
        with pytest.raises(RuntimeError, match="CUDA graphs requested"):
            graphs.wants_graphs("cpu")
        with pytest.raises(ValueError):
            graphs.set_graph_mode("sometimes")
    finally:
        graphs.set_graph_mode(None)
    monkeypatch.setenv(graphs.GRAPHS_ENV, "bogus")
    with pytest.raises(ValueError, match=graphs.GRAPHS_ENV):
        graphs.graph_mode()


def test_step_graph_runs_eagerly_off_cuda():
    calls = []
    step = graphs.StepGraph(lambda: calls.append(1), "cpu", capture=False)
    step()
    step()
    assert calls == [1, 1] and not step.captured
