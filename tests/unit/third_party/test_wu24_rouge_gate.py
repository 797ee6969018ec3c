"""Tests of the Wu24 ROUGE success gate (third_party/wu24/rouge_gate.py)."""

from __future__ import annotations

import pytest

from third_party.wu24.rouge_gate import rouge_gate, rouge_scores, rouge_tokens


def test_long_answers_pass_and_recall_is_against_the_reference():
    assert rouge_gate("Delaware", "The State of Delaware.") == (100.0, True)
    score, passes = rouge_gate("State of Delaware", "Delaware")
    assert score == pytest.approx(100 / 3)
    assert not passes


def test_exactly_fifty_fails():
    assert rouge_gate("New York", "York") == (50.0, False)
    assert rouge_gate("New York", "new york") == (100.0, True)


def test_tokenization_stems_and_splits_numbers():
    assert rouge_tokens("Incorporated, 1,998 employees") == ["incorpor", "1", "998", "employe"]
    assert rouge_gate("1998", "1,998") == (0.0, False)


def test_scores_have_precision_recall_f():
    prf = rouge_scores("1,450 full-time employees", "1,450 employees")["rouge1"]
    assert prf[0] == 1.0 and prf[1] == pytest.approx(0.6)
    assert rouge_gate("Delaware", "") == (0.0, False)
