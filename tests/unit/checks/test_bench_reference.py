"""The upstream-style reference paths (harness/checks/bench/reference.py) compute what the study's code does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.checks.bench import inputs, reference, workloads
from harness.engine.models.random_weights import random_llama
from harness.pipeline import conditions as abl


@pytest.fixture(scope="module")
def tiny():
    return random_llama("tiny", dtype="float32", device="cpu", probe=True)


def test_reference_path_computes_what_detection_computes(tiny):
    """The upstream-style path (eager, full maps, per-head loop, no prefix sharing) gives our scores."""
    model = tiny.model
    fp = inputs.synthetic_filing(120, model.config.vocab_size, n_questions=2, question_tokens=10, seed=3)
    impl = model.config._attn_implementation
    ours = workloads.detection_path(model, fp, max_new_tokens=4)
    ref = reference.reference_path(model, fp, max_new_tokens=4)
    assert model.config._attn_implementation == impl  # switched back from eager
    for q, r in ref.items():
        o = ours[q]
        assert list(o.generated_ids) == r["generated_ids"] and len(r["generated_ids"]) == 4
        np.testing.assert_allclose(o.summed_context, r["summed_context"], atol=1e-5)
        np.testing.assert_allclose(o.qrhead, r["qrhead"], atol=1e-4)
        np.testing.assert_array_equal(o.wu24, r["wu24"])
    agree = reference.compare_paths(ours, ref)
    assert agree["questions_with_equal_generated_ids"] == "2/2" and agree["summed_context_max_abs_diff"] < 1e-5


def test_per_condition_ablation_decodes_what_the_batched_ablation_decodes(tiny):
    model, info = tiny.model, tiny.info
    fp = inputs.synthetic_filing(100, model.config.vocab_size, n_questions=1, question_tokens=6, seed=2)
    conds = [abl.Condition("m", 2, "top", None, ("0-1", "2-3")), abl.Condition("m", 0, "top", None, ()),
             abl.Condition("m", 3, "random", 0, ("3-0", "1-2", "0-0"))]
    batched = workloads.ablation_batched(model, fp, conds, info.n_layers, info.n_heads, "uniform", 5, 8)
    (q, qp), = fp.prompts.items()
    for heads, gen in batched[q].items():
        one = reference.ablation_one_condition(model, qp.ids, heads, info.n_layers, info.n_heads, "uniform", 5)
        assert one == gen and len(one) == 5


def test_per_head_top1_is_the_argmax_of_each_last_row():
    torch.manual_seed(0)
    maps = [torch.rand(1, 3, 5, 7) for _ in range(2)]
    got = reference.per_head_top1(maps)
    want = np.stack([m[0, :, -1].argmax(-1).numpy() for m in maps])
    np.testing.assert_array_equal(got, want)
    assert got.shape == (2, 3)
