"""Tests of the Wu24 per-step retrieval score (third_party/wu24/retrieval_score.py)."""

from __future__ import annotations

import numpy as np
import pytest

from third_party.wu24.retrieval_score import (
    retrieval_scores_from_top1,
    retrieval_step,
    retrieval_tokens_from_top1,
)

PROMPT = [50, 51, 52, 53, 54, 60, 61, 62, 63, 55, 56, 57]  # span [5, 9) holds 60..63


def test_credit_needs_span_and_copied_token():
    scores = np.zeros((1, 4))
    top1 = np.array([[6, 6, 2, 9]])  # in span + id match | in span | outside span | span end (excluded)
    hit = retrieval_step(scores, top1, 61, PROMPT, [(5, 9)])
    assert scores.tolist() == [[0.25, 0.25, 0.0, 0.0]]
    assert hit.tolist() == [[True, True, False, False]]
    scores2 = np.zeros((1, 4))
    retrieval_step(scores2, top1, 62, PROMPT, [(5, 9)])  # generated token no longer equals prompt[6]
    assert scores2.tolist() == [[0.0, 0.0, 0.0, 0.0]]


def test_span_start_counts_and_generated_positions_never_score():
    scores = np.zeros((1, 2))
    retrieval_step(scores, np.array([[5, 12]]), 60, PROMPT, [(5, 9)])
    assert scores.tolist() == [[0.25, 0.0]]
    scores = np.zeros((1, 1))
    retrieval_step(scores, np.array([[12]]), 60, PROMPT, [(5, 14)])  # span past the prompt end
    assert scores.tolist() == [[0.0]]


def test_not_found_span_never_scores():
    scores = np.zeros((2, 2))
    retrieval_step(scores, np.array([[11, 0], [5, 6]]), 57, PROMPT, [(-1, -1)])
    assert not scores.any()


def test_several_spans_credit_once_per_step_with_the_first_containing_span():
    prompt = [1, 2, 3, 4, 5, 6, 7, 8]
    scores = np.zeros((1, 2))
    # overlapping spans: head 0 at index 2 lies in both; the first span (size 4) gives 1/4
    retrieval_step(scores, np.array([[2, 6]]), 3, prompt, [(0, 4), (2, 3)])
    assert scores.tolist() == [[0.25, 0.0]]
    retrieval_step(scores, np.array([[2, 6]]), 7, prompt, [(0, 4), (5, 7)])
    assert scores.tolist() == [[0.25, 0.5]]


def test_in_span_credit_mode_drops_the_copy_condition():
    scores = np.zeros((1, 1))
    retrieval_step(scores, np.array([[6]]), 999, PROMPT, [(5, 9)], credit="in_span")
    assert scores.tolist() == [[0.25]]
    with pytest.raises(ValueError, match="credit"):
        retrieval_step(scores, np.array([[6]]), 999, PROMPT, [(5, 9)], credit="bogus")  # type: ignore[arg-type]


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        retrieval_step(np.zeros((2, 2)), np.zeros((2, 3), dtype=int), 1, PROMPT, [(5, 9)])


def test_scores_and_tokens_over_steps():
    top1 = np.array([[[6, 2]], [[5, 6]], [[6, 6]]])  # (S=3, L=1, H=2)
    generated = [61, 60, 61]
    scores = retrieval_scores_from_top1(top1, generated, PROMPT, [(5, 9)])
    assert scores.dtype == np.float64
    assert scores.tolist() == [[0.75, 0.25]]
    tokens = retrieval_tokens_from_top1(top1, generated, ["a", "b", "c"], PROMPT, [(5, 9)])
    assert tokens == [["abc", "c"]]
    with pytest.raises(ValueError):
        retrieval_scores_from_top1(top1, generated[:2], PROMPT, [(5, 9)])
