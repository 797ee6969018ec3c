"""Batched decoding over a shared prefix equals one masked decode per (prompt, head set), on exact and on the
padded (graph-bucket) shapes, whatever the batch chunking and the stop-check period."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache

from harness.engine import batched_decode as bd
from harness.engine import probe
from harness.engine.decoding import StopRule, prefill
from tests.helpers.tiny_lm import tiny_llama

HEAD_SETS = [(), ("1-1", "2-0"), ("0-3", "3-3"), ("2-2",), ("0-0", "1-2", "3-1")]


def _one_run(model, ids, heads, mode, n_new):
    """One condition alone: the prompt but its last token unmasked, then masked greedy decoding (batch 1)."""
    hm = probe.HeadMask.from_heads([list(heads)], 4, 4, mode) if heads else None
    cache = DynamicCache()
    out = []
    with torch.no_grad():
        model(torch.tensor([ids[:-1]]), past_key_values=cache)
        x = torch.tensor([ids[-1:]])
        with probe.masking(hm):
            for _ in range(n_new):
                t = int(model(x, past_key_values=cache).logits[0, -1].argmax())
                out.append(t)
                x = torch.tensor([[t]])
    return out


@pytest.fixture(scope="module")
def setup():
    model = tiny_llama()
    g = torch.Generator().manual_seed(3)
    prefix = torch.randint(3, 390, (14,), generator=g).tolist()
    prompts = [torch.randint(3, 390, (n,), generator=g).tolist() for n in (6, 1, 3)]  # suffixes after the prefix
    refs = {(p, h): _one_run(model, prefix + prompts[p], h, "uniform", 5) for p in range(3) for h in HEAD_SETS}
    return model, prefix, prompts, refs


@pytest.mark.parametrize("buckets", [False, True])
@pytest.mark.parametrize("max_rows", [15, 6, 2])
def test_prompt_sets_equal_one_run_per_condition(setup, buckets, max_rows):
    model, prefix, prompts, refs = setup
    sets = [HEAD_SETS, HEAD_SETS[1:4], HEAD_SETS[::2]]
    bd.set_shape_buckets(buckets)
    try:
        cache = prefill(model, prefix)
        got = bd.decode_prompt_sets(model, cache, len(prefix), prompts, sets, "uniform", 5,
                                    StopRule.for_tokenizer(None), max_rows)
    finally:
        bd.set_shape_buckets(None)
    for p, per in enumerate(got):
        assert len(per) == len(sets[p])
        for h, gen in zip(sets[p], per, strict=True):
            assert gen == refs[(p, h)], (p, h, max_rows, buckets)


class _StopAfter:
    """Stops a row once it has generated ``n`` tokens (n = 2 + row's first token % 3)."""

    def done(self, ids):
        return len(ids) >= 2 + int(ids[0]) % 3


@pytest.mark.parametrize("every,lagged", [(1, False), (2, False), (5, False), (1, True), (2, True)])
def test_rows_stop_at_their_own_stop_whatever_the_check_period(setup, every, lagged):
    """Checked every step, every few steps, or (as on CUDA) on the copy made at the previous check."""
    model, prefix, prompts, refs = setup
    bd.set_stop_check_every(every, lagged)
    try:
        got = bd.decode_over_prefix(model, prefill(model, prefix), len(prefix), prompts[:1], [HEAD_SETS], "uniform",
                                    5, _StopAfter())
    finally:
        bd.set_stop_check_every(None)
    for h, gen in zip(HEAD_SETS, got[0], strict=True):
        ref = refs[(0, h)]
        assert gen == ref[: 2 + ref[0] % 3]


def test_a_reused_workspace_gives_the_same_answers(setup):
    """The second filing of the same shape runs on buffers the first one wrote: nothing of it leaks through."""
    model, prefix, prompts, refs = setup
    stop = StopRule.for_tokenizer(None)
    other = [(t * 7 + 1) % 390 for t in prefix]
    bd.decode_over_prefix(model, prefill(model, other), len(other), prompts, [HEAD_SETS] * 3, "uniform", 5, stop)
    got = bd.decode_over_prefix(model, prefill(model, prefix), len(prefix), prompts, [HEAD_SETS] * 3, "uniform", 5,
                                stop)
    assert got[2] == [refs[(2, h)] for h in HEAD_SETS]


def test_zero_mode_and_shorter_prefix(setup):
    model, prefix, prompts, _ = setup
    ids = prefix[:5] + prompts[0]
    want = [_one_run(model, ids, h, "zero", 4) for h in HEAD_SETS]
    got = bd.decode_over_prefix(model, prefill(model, prefix[:5]), 5, [prompts[0]], [HEAD_SETS], "zero", 4,
                                StopRule.for_tokenizer(None))
    assert got[0] == want


def test_prompts_need_a_token_after_the_prefix(setup):
    model, prefix, _, _ = setup
    with pytest.raises(ValueError, match="at least one token"):
        bd.decode_over_prefix(model, prefill(model, prefix), len(prefix), [[]], [[()]], "uniform", 2,
                              StopRule.for_tokenizer(None))


def test_ablate_group_equals_ablate_question(setup):
    """The ablation step's group decoding gives the per-question decoding's answers (scope decode and all)."""
    from adapters.prompts import build_filing_prompts
    from harness.pipeline import conditions as abl
    from tests.helpers.filings import sample
    from tests.helpers.tiny_lm import tiny_tokenizer

    model = setup[0]
    tok = tiny_tokenizer()
    fp = build_filing_prompts(tok, sample(), ["inc_state", "employees", "hq_state"], context_tokens=10_000, chat=True)
    conds = {q: [abl.Condition("m", len(h), "top", None, h) for h in HEAD_SETS[i:]] for i, q in enumerate(fp.prompts)}
    for scope in ("decode", "all"):
        settings = abl.AblationSettings(mask_scope=scope, max_new_tokens=4, condition_batch=7)
        stop = StopRule.for_tokenizer(tok)
        got = abl.ablate_group(model, fp, conds, settings, stop)
        cache = prefill(model, fp.prefix_ids)
        for q, qp in fp.prompts.items():
            want = abl.ablate_question(model, cache, len(fp.prefix_ids), qp.ids, conds[q], settings, stop)
            assert got[q] == want, (scope, q)
