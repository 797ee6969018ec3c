"""Ablation: batched conditions over one shared cache equal one run per condition."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache

from harness.engine import probe
from harness.engine.decoding import StopRule
from harness.heads import all_head_ids
from harness.pipeline import conditions as abl
from tests.helpers.tiny_lm import tiny_llama


def _one_run(model, ids, heads, mode, n_new, scope="decode"):
    """Reference: one condition alone, upstream style (prefill ids[:-1] unmasked, decode masked)."""
    hm = probe.HeadMask.from_heads([heads], 4, 4, mode) if heads else None
    cache = DynamicCache()
    out = []
    with torch.no_grad():
        if scope == "decode":
            model(torch.tensor([ids[:-1]]), past_key_values=cache)
            x = torch.tensor([ids[-1:]])
        else:
            x = torch.tensor([ids])
        with probe.masking(hm):
            for _ in range(n_new):
                t = int(model(x, past_key_values=cache).logits[0, -1].argmax())
                out.append(t)
                x = torch.tensor([[t]])
    return out


@pytest.mark.parametrize("mode", ["uniform", "zero"])
@pytest.mark.parametrize("scope", ["decode", "all"])
def test_batched_conditions_equal_single_runs(mode, scope):
    model = tiny_llama()
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 390, (30,), generator=g).tolist()
    prefix_len = 12
    conds = [abl.Condition("m", 0, "top", None, ()),
             abl.Condition("m", 2, "top", None, ("1-1", "2-0")),
             abl.Condition("m", 2, "random", 0, ("0-3", "3-3")),
             abl.Condition("x", 2, "top", None, ("2-0", "1-1"))]  # same set as the second: decoded once
    cache = DynamicCache()
    with torch.no_grad():
        model(torch.tensor([ids[:prefix_len]]), past_key_values=cache)
    settings = abl.AblationSettings(mask_mode=mode, mask_scope=scope, max_new_tokens=5, condition_batch=2)
    got = abl.ablate_question(model, cache, prefix_len, ids, conds, settings, StopRule.for_tokenizer(None))
    assert len(got) == 3
    from harness.engine.kvcache import cache_length

    assert cache_length(cache) == prefix_len  # cropped back: the prefix cache is reusable
    for heads, gen in got.items():
        ref = _one_run(model, ids, list(heads), mode, 5, scope)
        assert gen[: len(ref)] == ref[: len(gen)] and len(gen) >= 1


def test_random_heads_deterministic_nested_and_outside_top():
    heads = all_head_ids(6, 5)
    top = {"m": heads[::-1][:10]}
    conds = abl.build_conditions(top, heads, [0, 2, 4], seeds=[0, 1], exclude_top_n=10)
    rnd = [c for c in conds if c.kind == "random"]
    assert all(not set(c.heads) & set(top["m"]) for c in rnd)
    by = {(c.k, c.seed): c.heads for c in rnd}
    assert by[(4, 0)][:2] == by[(2, 0)]  # nested in k for a fixed seed
    assert by[(4, 0)] != by[(4, 1)]
    again = abl.build_conditions(top, heads, [0, 2, 4], seeds=[0, 1], exclude_top_n=10)
    assert again == conds
    assert [c.label for c in conds][:2] == ["m/top/k=0", "m/top/k=2"]


def test_grid_larger_than_top_list_is_an_error():
    with pytest.raises(ValueError, match="k grid"):
        abl.build_conditions({"m": ["0-0"]}, all_head_ids(2, 2), [0, 2], [0], 1)
