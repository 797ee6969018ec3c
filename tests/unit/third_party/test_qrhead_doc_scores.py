"""Tests of QRHead calibration and outlier masking (third_party/qrhead/doc_scores.py)."""

from __future__ import annotations

import pytest
import torch

from third_party.qrhead.doc_scores import (
    calibrate,
    outlier_masked_sum,
    parse_head_set,
    per_doc_scores,
    score_docs,
)


def test_low_outlier_is_dropped_and_only_low_ones():
    x = torch.tensor([1.0, 2, 3, 4, 5, 6, 7, 8, 9, -20])
    assert outlier_masked_sum(x).item() == pytest.approx(45.0)  # -20 < mean - 2 std = -14.1: dropped
    x_mut = torch.tensor([1.0, 2, 3, 4, 5, 6, 7, 8, 9, -2])
    assert outlier_masked_sum(x_mut).item() == pytest.approx(43.0)  # -2 > mean - 2 std = -2.5: kept
    x_high = torch.tensor([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 60])
    assert outlier_masked_sum(x_high).item() == pytest.approx(105.0)  # high outliers are kept


def test_single_token_and_constant_docs_score_zero():
    assert outlier_masked_sum(torch.tensor([5.0])).item() == 0.0
    assert outlier_masked_sum(torch.tensor([0.5, 0.5, 0.5])).item() == 0.0


def test_calibration_truncates_to_the_shorter_length():
    pts = torch.arange(12, dtype=torch.float32).reshape(1, 2, 6)
    null = torch.ones(1, 2, 4)
    cal = calibrate(pts, null)
    assert cal.shape == (1, 2, 4)
    assert cal[0, 1].tolist() == [5.0, 6.0, 7.0, 8.0]
    with pytest.raises(ValueError):
        calibrate(pts, torch.ones(2, 2, 4))


def test_per_doc_scores_per_head_with_inclusive_spans():
    pts = torch.zeros(1, 2, 8)
    pts[0, 0, 1:4] = torch.tensor([0.1, 0.2, 0.3])
    pts[0, 1, 5:7] = torch.tensor([0.4, 0.6])
    null = torch.zeros(1, 2, 8)
    docs = per_doc_scores(pts, null, [(1, 3), (5, 6)])
    assert docs[0].shape == (1, 2)
    assert docs[0][0].tolist() == pytest.approx([0.6, 0.0])
    assert docs[1][0].tolist() == pytest.approx([0.0, 1.0])
    null[0, 1, 6] = 0.1  # calibration subtracts the null scores
    assert per_doc_scores(pts, null, [(5, 6)])[0][0, 1].item() == pytest.approx(0.9)


def test_score_docs_sums_heads_first_and_honours_a_head_subset():
    pts = torch.zeros(2, 2, 4)
    pts[0, 1, 0:2] = torch.tensor([1.0, 2.0])
    pts[1, 0, 0:2] = torch.tensor([2.0, 4.0])
    null = torch.zeros(2, 2, 4)
    assert score_docs(pts, null, [(0, 1), (2, 3)]) == [9.0, 0.0]  # summed [3, 6]; doc 2 constant -> 0
    assert score_docs(pts, null, [(0, 1)], "0-1") == [3.0]
    assert score_docs(pts, null, [(0, 1)], [(1, 0)]) == [6.0]


def test_parse_head_set():
    assert parse_head_set("0-1, 12-3") == [(0, 1), (12, 3)]
    with pytest.raises(ValueError, match="layer-head"):
        parse_head_set("0-1,x")
