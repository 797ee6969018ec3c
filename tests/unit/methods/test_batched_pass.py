"""Batched detection (the questions of a filing group as rows of one batch) gives the one-question path's signals
and scores: generated ids and top-1 keys identical, attention sums within 1e-5 of the score scale (float32)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adapters.prompts import build_filing_groups, build_filing_prompts
from harness.engine import batched_decode as bd
from harness.engine.decoding import StopRule, prefill
from harness.methods.base import SCORE_FIELDS, DetectionSettings
from harness.methods.batched_pass import measure_filing
from harness.methods.shared_pass import detect_filing, detect_groups, measure_question
from tests.helpers.filings import record, sample
from tests.helpers.tiny_lm import tiny_llama, tiny_tokenizer

QUESTIONS = ["inc_state", "inc_year", "employees", "hq_state"]


def close(got: np.ndarray | torch.Tensor, want: np.ndarray | torch.Tensor, rel: float = 1e-5) -> None:
    """Elementwise within ``rel`` of each value, or of the largest |value| where a value is near zero."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=rel, atol=rel * max(np.abs(want).max(), 1e-30))


@pytest.fixture(scope="module")
def lm():
    return tiny_llama(), tiny_tokenizer()


@pytest.mark.parametrize("chat", [True, False])
@pytest.mark.parametrize("buckets", [False, True])
def test_signals_equal_the_one_question_passes(lm, chat, buckets):
    model, tok = lm
    fp = build_filing_prompts(tok, sample(), QUESTIONS, context_tokens=10_000, chat=chat)
    settings = DetectionSettings(max_new_tokens=5)
    stop = StopRule.for_tokenizer(tok, settings.stop)
    bd.set_shape_buckets(buckets)
    try:
        got = measure_filing(model, tok, fp, settings, stop)
    finally:
        bd.set_shape_buckets(None)
    cache, p = prefill(model, fp.prefix_ids), len(fp.prefix_ids)
    for q, qp in fp.prompts.items():
        want = measure_question(model, tok, cache, p, qp, settings, stop)
        g = got[q]
        assert g.generated == want.generated and g.answer_text == want.answer_text
        assert len(g.top1) == len(want.top1) == len(want.generated)
        for a, b in zip(g.top1, want.top1, strict=True):
            assert torch.equal(a.cpu(), b.cpu())
        assert g.region_sums.shape == want.region_sums.shape
        close(g.region_sums, want.region_sums)
        close(g.query_rows.mean(), want.query_rows.mean())
        close(g.null_rows.mean(), want.null_rows.mean())


def _assert_same_scores(got, want):
    for q in want:
        assert got[q].generated_ids == want[q].generated_ids
        assert got[q].answer_text == want[q].answer_text and got[q].correct == want[q].correct
        assert got[q].reasons == want[q].reasons and got[q].wu24_success == want[q].wu24_success
        for f in SCORE_FIELDS:
            a, b = getattr(got[q], f), getattr(want[q], f)
            assert (a is None) == (b is None), (q, f)
            if b is not None:
                close(a, b)


@pytest.mark.parametrize("stop_rule", ["newline_eos", "upstream"])
def test_detect_filing_batched_equals_one_question_at_a_time(lm, stop_rule):
    model, tok = lm
    rec = record()
    rec["usable"]["employees"] = False
    rec["answers"]["employees"] = None
    rec["excluded"] = {"employees": "NULL in employee_count_truth"}
    fp = build_filing_prompts(tok, sample(rec), QUESTIONS, context_tokens=10_000, chat=True)
    settings = DetectionSettings(max_new_tokens=6, stop=stop_rule)
    _assert_same_scores(detect_filing(model, tok, fp, settings, chat=True),
                        detect_filing(model, tok, fp, settings, chat=True, batched=False))


def test_groups_of_a_cut_filing_and_the_upstream_qrhead_layout(lm):
    """A context too short for every question's evidence: several groups, each batched on its own."""
    model, tok = lm
    groups = build_filing_groups(tok, sample(), QUESTIONS, context_tokens=40, chat=False)
    assert len(groups) > 1
    settings = DetectionSettings(max_new_tokens=3, qrhead_layout="upstream")
    for fp in groups:
        _assert_same_scores(detect_filing(model, tok, fp, settings, chat=False),
                            detect_filing(model, tok, fp, settings, chat=False, batched=False))


@pytest.mark.parametrize("buckets", [False, True])
def test_windows_of_several_filings_in_one_batch(lm, buckets):
    """Groups of two filings (prefixes of different lengths, groups of different question counts) decoded as one
    batch, each over its own prefix, give each group's one-question scores."""
    model, tok = lm
    groups = build_filing_groups(tok, sample(), QUESTIONS, context_tokens=40, chat=True)
    rec = record()
    rec["sample_id"] = "s2"
    rec["text"] = "Item 1. Business\n" + rec["text"].split("\n", 1)[1].replace("Harbor Tools", "Hill Pumps Corp")
    shift = len("Hill Pumps Corp") - len("Harbor Tools")
    rec["evidence_chars"] = {q: [[a + shift, b + shift]] for q, [[a, b]] in rec["evidence_chars"].items()}
    groups.append(build_filing_prompts(tok, sample(rec), QUESTIONS[:3], context_tokens=10_000, chat=True))
    assert len(groups) > 2 and len({len(fp.prefix_ids) for fp in groups}) > 1
    assert len({len(fp.prompts) for fp in groups}) > 1
    settings = DetectionSettings(max_new_tokens=5)
    bd.set_shape_buckets(buckets)
    try:
        got = detect_groups(model, tok, groups, settings, chat=True)
    finally:
        bd.set_shape_buckets(None)
    assert len(got) == len(groups)
    for fp, g in zip(groups, got, strict=True):
        _assert_same_scores(g, detect_filing(model, tok, fp, settings, chat=True, batched=False))


def test_early_stop_cuts_rows_at_their_own_stop(lm):
    """With a rule that stops every row at once, only the prompt call's token is kept (no decode step)."""
    model, tok = lm
    fp = build_filing_prompts(tok, sample(), QUESTIONS[:2], context_tokens=10_000, chat=True)

    class Always:
        def done(self, ids):
            return True

        def hit_max_tokens(self, ids, max_new_tokens):
            return False

    got = measure_filing(model, tok, fp, DetectionSettings(max_new_tokens=8), Always())
    assert all(len(s.generated) == 1 and len(s.top1) == 1 for s in got.values())
