"""On a CUDA device: captured decode steps give what the same steps give eagerly, for detection (probed steps)
and ablation (masked steps), and the batched paths equal the one-question / one-condition paths (float32)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.checks.bench.inputs import synthetic_filing
from harness.engine import batched_decode as bd
from harness.engine import graphs
from harness.engine.decoding import StopRule, decode_batch, forward, prefill
from harness.engine.models.random_weights import random_llama
from harness.methods.base import SCORE_FIELDS, DetectionSettings
from harness.methods.shared_pass import detect_filing, detect_groups
from harness.pipeline import conditions as abl

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
SETS = [(), ("1-1", "2-0"), ("0-3", "3-3"), ("2-2",), ("0-0", "1-2", "3-1")]


def _run(mode: str, fn):
    graphs.set_graph_mode(mode)
    bd.release_workspaces()
    try:
        return fn()
    finally:
        graphs.set_graph_mode(None)
        bd.release_workspaces()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_captured_steps_equal_eager_steps(dtype):
    lm = random_llama("tiny", dtype=dtype, device="cuda", probe=True, overrides={"max_position_embeddings": 4096})
    fp = synthetic_filing(700, lm.model.config.vocab_size, n_questions=4, question_tokens=9, seed=2)
    settings = DetectionSettings(max_new_tokens=7)
    before = graphs.capture_stats()["captures"]
    got = _run("on", lambda: detect_filing(lm.model, None, fp, settings))
    assert graphs.capture_stats()["captures"] > before and not graphs.capture_failures()
    want = _run("off", lambda: detect_filing(lm.model, None, fp, settings))
    for q in want:
        assert got[q].generated_ids == want[q].generated_ids
        for f in SCORE_FIELDS:
            a, b = getattr(got[q], f), getattr(want[q], f)
            if b is not None:
                # float32: the same kernels, replayed, but a capture may pick another reduction order: within 1e-5
                # of the scores' scale (seen on an H200: 1 ulp, and 7e-18 on a score of 1e-14 next to 0.1).
                # bfloat16: the half-precision products (float32 accumulation) may run another cuBLAS algorithm
                # under capture; one bf16 ulp (0.4%) in a layer's output then carries through the later layers
                # (seen on an H200: 0.7% on a score of 0.24); the generated ids stay identical
                tol = 1e-5 if dtype == "float32" else 3e-2
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol * float(np.abs(b).max()))
    conds = {q: [abl.Condition("m", len(h), "top", None, h) for h in SETS] for q in fp.prompts}
    ab = abl.AblationSettings(max_new_tokens=6, condition_batch=12)
    stop = StopRule.for_tokenizer(None)
    assert _run("on", lambda: abl.ablate_group(lm.model, fp, conds, ab, stop)) == \
        _run("off", lambda: abl.ablate_group(lm.model, fp, conds, ab, stop))


def test_batched_paths_equal_the_one_question_paths_on_cuda():
    lm = random_llama("tiny", dtype="float32", device="cuda", probe=True,
                      overrides={"max_position_embeddings": 4096, "initializer_range": 0.05})
    fp = synthetic_filing(600, lm.model.config.vocab_size, n_questions=4, question_tokens=9, seed=3)
    settings = DetectionSettings(max_new_tokens=6)
    got = _run("auto", lambda: detect_filing(lm.model, None, fp, settings))
    want = detect_filing(lm.model, None, fp, settings, batched=False)
    for q in want:
        assert got[q].generated_ids == want[q].generated_ids
        for f in ("summed_context", "summed_evidence", "qrhead"):
            a, b = getattr(got[q], f), getattr(want[q], f)
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())
    cache, p = prefill(lm.model, fp.prefix_ids), len(fp.prefix_ids)
    qp = next(iter(fp.prompts.values()))
    ab = abl.AblationSettings(max_new_tokens=5, condition_batch=64)
    stop = StopRule.for_tokenizer(None)
    conds = [abl.Condition("m", len(h), "top", None, h) for h in SETS]
    grouped = _run("auto", lambda: abl.ablate_group(lm.model, fp, {qp.question: conds}, ab, stop))[qp.question]
    forward(lm.model, qp.ids[p:-1], cache)  # the old path: per-row copies of the cache, SDPA, one step at a time
    copied = decode_batch(lm.model, cache, qp.ids[-1:], SETS, "uniform", 5, stop, share_prefix=False)
    assert [grouped[h] for h in SETS] == copied


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_windows_of_several_filings_in_one_captured_batch(dtype):
    """Filings of different prefix lengths and question counts decoded as one captured batch: float32 gives the
    one-question path's scores; bfloat16 gives what the same batch gives eagerly."""
    lm = random_llama("tiny", dtype=dtype, device="cuda", probe=True,
                      overrides={"max_position_embeddings": 4096, "initializer_range": 0.05})
    vocab = lm.model.config.vocab_size
    fps = [synthetic_filing(n, vocab, n_questions=k, question_tokens=9, seed=s)
           for n, k, s in ((600, 4, 3), (350, 2, 5), (900, 3, 7))]
    settings = DetectionSettings(max_new_tokens=6)
    got = _run("on", lambda: detect_groups(lm.model, None, fps, settings))
    if dtype == "bfloat16":
        eager = _run("off", lambda: detect_groups(lm.model, None, fps, settings))
    for i, fp in enumerate(fps):
        want = eager[i] if dtype == "bfloat16" else detect_filing(lm.model, None, fp, settings, batched=False)
        for q in want:
            assert got[i][q].generated_ids == want[q].generated_ids
            for f in ("summed_context", "summed_evidence", "qrhead"):
                a, b = getattr(got[i][q], f), getattr(want[q], f)
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())
