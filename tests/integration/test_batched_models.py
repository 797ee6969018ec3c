"""Batched detection and ablation on the real demo models (SmolLM2, Gemma 3 past its 512-token window) equal the
one-question and one-condition paths: generated ids identical, scores within 1e-5 of their scale (float32)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.checks.bench.inputs import synthetic_filing
from harness.engine.decoding import StopRule, decode_batch, forward, prefill
from harness.engine.models import load_model
from harness.methods.base import SCORE_FIELDS, DetectionSettings
from harness.methods.shared_pass import detect_filing
from harness.pipeline import conditions as abl

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["smollm2-135m-instruct", "gemma3-270m"])
def lm(request):
    return load_model(request.param, dtype="float32", device="cpu", attn="sdpa", probe=True)


def _filing(lm):
    n = 600 if lm.info.family.startswith("gemma") else 200  # Gemma: past its sliding window
    return synthetic_filing(n, lm.model.config.vocab_size, n_questions=3, question_tokens=12, seed=4)


def test_batched_detection_equals_one_question_at_a_time(lm):
    fp = _filing(lm)
    settings = DetectionSettings(max_new_tokens=4)
    got = detect_filing(lm.model, None, fp, settings)
    want = detect_filing(lm.model, None, fp, settings, batched=False)
    for q in want:
        assert got[q].generated_ids == want[q].generated_ids
        for f in SCORE_FIELDS:
            a, b = getattr(got[q], f), getattr(want[q], f)
            assert (a is None) == (b is None)
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_grouped_ablation_equals_per_row_copies(lm):
    info = lm.info
    fp = _filing(lm)
    sets = [(), ("3-1", f"{info.n_layers - 2}-0"), ("1-0",), ("0-1", "5-2", f"{info.n_layers - 1}-1")]
    conds = {q: [abl.Condition("m", len(h), "top", None, h) for h in sets] for q in fp.prompts}
    settings = abl.AblationSettings(max_new_tokens=4, condition_batch=8)
    stop = StopRule.for_tokenizer(None)
    with torch.no_grad():
        got = abl.ablate_group(lm.model, fp, conds, settings, stop)
        p = len(fp.prefix_ids)
        for q, qp in fp.prompts.items():
            cache = prefill(lm.model, fp.prefix_ids)
            forward(lm.model, qp.ids[p:-1], cache)
            copied = decode_batch(lm.model, cache, qp.ids[-1:], sets, "uniform", 4, stop, share_prefix=False)
            assert [got[q][h] for h in sets] == copied, q
