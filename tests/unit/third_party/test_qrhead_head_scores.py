"""Tests of QRScore and the per-head evaluation (third_party/qrhead/head_scores.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from third_party.qrhead.head_scores import lme_eval, qr_scores, score_heads

PER_DOC = {
    "q1": {"a": torch.tensor([[0.5, 0.25]]), "b": torch.tensor([[0.0, 1.0]])},
    "q2": {"a": torch.tensor([[0.25, 0.5]]), "c": torch.tensor([[0.25, 0.0]])},
}


def test_qrscore_is_the_mean_over_instances_of_summed_gold_docs():
    gt = {"q1": ["a"], "q2": ["a", "c"]}
    assert qr_scores(PER_DOC, gt).tolist() == [[0.5, 0.375]]
    assert score_heads(PER_DOC, gt) == [("0-0", 0.5), ("0-1", 0.375)]
    gt_mut = {"q1": ["b"], "q2": ["a", "c"]}  # another gold doc changes the ranking
    assert score_heads(PER_DOC, gt_mut) == [("0-1", 0.75), ("0-0", 0.25)]


def test_empty_gold_contributes_zero_and_ties_stay_layer_major():
    per_doc = {"q1": {"a": np.array([[0.5, 0.5], [0.5, 0.25]], dtype=np.float32)}, "q2": {"a": np.ones((2, 2))}}
    ranking = score_heads(per_doc, {"q1": ["a"], "q2": []})
    assert ranking == [("0-0", 0.25), ("0-1", 0.25), ("1-0", 0.25), ("1-1", 0.125)]


def test_lme_eval_matches_score_heads_per_head():
    gt = {"q1": ["a"], "q2": ["a", "c"]}
    for layer_head, value in score_heads(PER_DOC, gt):
        h = int(layer_head.split("-")[1])
        scalars = {q: {d: float(t[0, h]) for d, t in docs.items()} for q, docs in PER_DOC.items()}
        assert lme_eval(scalars, gt) == value


def test_missing_scores_are_reported():
    with pytest.raises(KeyError, match="gold doc 'z'"):
        score_heads(PER_DOC, {"q1": ["z"]})
    with pytest.raises(KeyError, match="instance 'q9'"):
        score_heads(PER_DOC, {"q9": ["a"]})
    with pytest.raises(ValueError):
        score_heads(PER_DOC, {})
