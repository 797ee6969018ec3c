"""Tests of the Wu24 head-score aggregation (third_party/wu24/head_counter.py)."""

from __future__ import annotations

import numpy as np
import pytest

from third_party.wu24.head_counter import HeadCounter


def test_only_passed_samples_count_and_every_head_is_recorded():
    counter = HeadCounter()
    counter.accumulate(np.array([[0.5, 0.0], [0.25, 0.0]]), passed=True)
    counter.accumulate(np.array([[9.0, 9.0], [9.0, 9.0]]), passed=False)
    counter.accumulate(np.array([[0.0, 0.0], [0.25, 0.125]]), passed=True)
    assert counter.n_success == 2 and counter.n_failed == 1
    assert counter.counter == {"0-0": [0.5, 0.0], "0-1": [0.0, 0.0], "1-0": [0.25, 0.25], "1-1": [0.0, 0.125]}
    assert counter.mean_scores()["1-0"] == 0.25


def test_ranking_is_stable_on_ties():
    counter = HeadCounter()
    counter.accumulate(np.array([[0.25, 0.5], [0.5, 0.25]]), passed=True)
    assert counter.ranking() == [("0-1", 0.5), ("1-0", 0.5), ("0-0", 0.25), ("1-1", 0.25)]


def test_nothing_recorded_when_no_sample_passed():
    counter = HeadCounter()
    counter.accumulate(np.ones((2, 2)), passed=False)
    assert counter.ranking() == []
    assert counter.mean_array(2, 2).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError):
        counter.accumulate(np.ones(3), passed=True)


def test_mean_array_layout():
    counter = HeadCounter()
    counter.accumulate(np.array([[1.0, 2.0, 3.0]]), passed=True)
    counter.accumulate(np.array([[3.0, 2.0, 1.0]]), passed=True)
    assert counter.mean_array(1, 3).tolist() == [[2.0, 2.0, 2.0]]
