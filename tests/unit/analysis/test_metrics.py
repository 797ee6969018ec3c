"""Tests for harness.analysis.metrics: accuracy, bootstrap interval, ROUGE-1 recall, Jaccard references, Spearman."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from harness.analysis.metrics import (
    accuracy,
    bootstrap_ci,
    jaccard,
    overlap_pvalue,
    random_jaccard_expectation,
    rouge1_recall,
    spearman,
)


# --------------------------------------------------------------------------------------------- accuracy
def test_accuracy():
    assert accuracy([True, False, True, True]) == 0.75
    assert accuracy([1.0, 0.0]) == 0.5
    assert math.isnan(accuracy([]))


def test_accuracy_rejects_bad_input():
    with pytest.raises(ValueError, match="non-finite"):
        accuracy([1.0, float("nan")])
    with pytest.raises(ValueError, match="one-dimensional"):
        accuracy([[1, 0], [0, 1]])


# --------------------------------------------------------------------------------------------- bootstrap_ci
def test_bootstrap_ci_is_deterministic_by_seed_and_brackets_the_mean():
    rng = np.random.default_rng(123)
    correct = list(rng.random(40))  # per-sample scores: a continuous mean, so seeds give different ends
    a = bootstrap_ci(correct, n_boot=2000, seed=7)
    b = bootstrap_ci(correct, n_boot=2000, seed=7)
    c = bootstrap_ci(correct, n_boot=2000, seed=8)
    assert a == b
    assert a != c
    low, high = a
    assert 0.0 <= low <= accuracy(correct) <= high <= 1.0


def test_bootstrap_ci_matches_a_direct_percentile_bootstrap():
    correct = [True] * 7 + [False] * 5
    arr = np.array(correct, dtype=float)
    rng = np.random.default_rng(3)
    means = arr[rng.integers(0, arr.size, size=(500, arr.size))].mean(axis=1)
    expected = tuple(np.quantile(means, [0.05, 0.95]))
    assert bootstrap_ci(correct, n_boot=500, alpha=0.1, seed=3) == pytest.approx(expected)


def test_bootstrap_ci_width_shrinks_with_n_and_with_alpha():
    small = [True, False] * 10
    large = [True, False] * 500
    w_small = np.subtract(*bootstrap_ci(small, seed=0)[::-1])
    w_large = np.subtract(*bootstrap_ci(large, seed=0)[::-1])
    assert w_large < w_small
    lo95, hi95 = bootstrap_ci(small, alpha=0.05, seed=0)
    lo50, hi50 = bootstrap_ci(small, alpha=0.5, seed=0)
    assert lo95 <= lo50 <= hi50 <= hi95


def test_bootstrap_ci_degenerate_cases():
    assert bootstrap_ci([True] * 10) == (1.0, 1.0)
    assert bootstrap_ci([False] * 3) == (0.0, 0.0)
    low, high = bootstrap_ci([])
    assert math.isnan(low) and math.isnan(high)


def test_bootstrap_ci_blocks_give_the_same_shape_of_result_for_large_n():
    correct = np.tile([1.0, 0.0, 0.0, 1.0], 50_000)  # n * n_boot above one resampling block
    low, high = bootstrap_ci(correct, n_boot=50, seed=1)
    assert 0.49 < low <= 0.5 <= high < 0.51


@pytest.mark.parametrize(("kwargs", "match"), [({"n_boot": 0}, "n_boot"), ({"alpha": 1.0}, "alpha")])
def test_bootstrap_ci_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_ci([True, False], **kwargs)


# --------------------------------------------------------------------------------------------- rouge1_recall
@pytest.mark.parametrize(
    ("reference", "prediction", "expected"),
    [
        ("Delaware", "Delaware", 1.0),
        ("Delaware", "The company is a Delaware corporation.", 1.0),
        ("Delaware", "Nevada", 0.0),
        ("New York", "York", 0.5),
        ("12500", "12,500", 0.0),  # the tokenizer splits "12,500" into "12" and "500"
        ("employees", "employee", 1.0),  # stemming
        ("North Carolina", "north carolina", 1.0),
        ("", "anything", 0.0),
    ],
)
def test_rouge1_recall(reference, prediction, expected):
    assert rouge1_recall(reference, prediction) == pytest.approx(expected)


# --------------------------------------------------------------------------------------------- jaccard
def test_jaccard():
    assert jaccard({"1-2", "3-4"}, {"3-4", "5-6"}) == pytest.approx(1 / 3)
    assert jaccard(["a", "a", "b"], ["b", "a"]) == 1.0
    assert jaccard({"a"}, set()) == 0.0
    assert math.isnan(jaccard([], []))


# --------------------------------------------------------------------------------------------- random reference
def _brute_force_expectation(n, k1, k2):
    items = range(n)
    a = set(range(k1))  # by symmetry A can be fixed
    subsets = list(itertools.combinations(items, k2))
    total = sum(Fraction(len(a & set(b)), len(a | set(b))) for b in subsets)
    return total / len(subsets)


def test_random_jaccard_expectation_hand_enumerated_n4_k2():
    # A = {0,1}; of the 6 two-sets B: 1 equals A (J=1), 4 share one item (J=1/3), 1 is disjoint (J=0).
    assert random_jaccard_expectation(4, 2, 2) == pytest.approx(7 / 18, abs=1e-15)


@pytest.mark.parametrize(
    ("n", "k1", "k2"), [(5, 2, 3), (6, 3, 3), (7, 1, 4), (8, 4, 6), (6, 6, 2), (5, 0, 3)]
)
def test_random_jaccard_expectation_equals_brute_force(n, k1, k2):
    assert random_jaccard_expectation(n, k1, k2) == pytest.approx(float(_brute_force_expectation(n, k1, k2)))


def test_random_jaccard_expectation_properties():
    assert random_jaccard_expectation(10, 10, 10) == 1.0  # both sets are everything
    assert random_jaccard_expectation(10, 0, 4) == 0.0
    assert math.isnan(random_jaccard_expectation(10, 0, 0))
    assert random_jaccard_expectation(1024, 50, 30) == pytest.approx(random_jaccard_expectation(1024, 30, 50))
    # Llama-3-8B: 32 x 32 heads, two random top-50 sets: about 50*50/1024 = 2.4 shared heads -> J ~ 0.025.
    j = random_jaccard_expectation(1024, 50, 50)
    assert 0.02 < j < 0.03
    # more heads in the model -> smaller chance overlap
    assert random_jaccard_expectation(2048, 50, 50) < j


def test_random_jaccard_expectation_matches_simulation():
    rng = np.random.default_rng(0)
    n, k = 60, 10
    sims = [jaccard(rng.choice(n, k, replace=False), rng.choice(n, k, replace=False)) for _ in range(20000)]
    assert np.mean(sims) == pytest.approx(random_jaccard_expectation(n, k, k), abs=0.005)


@pytest.mark.parametrize(("n", "k1", "k2"), [(3, 4, 1), (-1, 0, 0), (5, 2.0, 1)])
def test_random_jaccard_expectation_rejects_bad_sizes(n, k1, k2):
    with pytest.raises(ValueError):
        random_jaccard_expectation(n, k1, k2)


# --------------------------------------------------------------------------------------------- overlap_pvalue
def test_overlap_pvalue_hand_enumerated_n4_k2():
    assert overlap_pvalue(4, 2, 2, 0) == 1.0
    assert overlap_pvalue(4, 2, 2, 1) == pytest.approx(5 / 6)
    assert overlap_pvalue(4, 2, 2, 2) == pytest.approx(1 / 6)


@pytest.mark.parametrize(("n", "k1", "k2", "obs"), [(1024, 50, 50, 0), (1024, 50, 50, 3), (1024, 50, 50, 12),
                                                     (576, 50, 40, 7), (30, 10, 12, 6)])  # fmt: skip
def test_overlap_pvalue_matches_scipy_hypergeom(n, k1, k2, obs):
    from scipy.stats import hypergeom

    assert overlap_pvalue(n, k1, k2, obs) == pytest.approx(hypergeom.sf(obs - 1, n, k1, k2), rel=1e-9)


def test_overlap_pvalue_is_monotone_and_tiny_for_large_overlaps():
    ps = [overlap_pvalue(1024, 50, 50, i) for i in range(51)]
    assert all(a >= b for a, b in itertools.pairwise(ps))
    assert ps[50] == pytest.approx(1 / math.comb(1024, 50), rel=1e-9)  # exact, far below float64 cancellation
    assert ps[50] > 0.0


def test_overlap_pvalue_rejects_impossible_overlap():
    with pytest.raises(ValueError, match="exceeds"):
        overlap_pvalue(10, 3, 4, 4)


# --------------------------------------------------------------------------------------------- spearman
def test_spearman_aligns_by_key_not_by_order():
    a = {"0-0": 1.0, "0-1": 2.0, "1-0": 3.0, "1-1": 4.0}
    b = {"1-1": 40.0, "1-0": 30.0, "0-1": 20.0, "0-0": 10.0}  # same ranking, reversed insertion order
    assert spearman(a, b) == pytest.approx(1.0)
    c = {k: -v for k, v in b.items()}
    assert spearman(a, c) == pytest.approx(-1.0)


def test_spearman_matches_scipy_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(5)
    keys = [f"{layer}-{head}" for layer in range(4) for head in range(8)]
    x = np.round(rng.random(len(keys)), 1)  # ties
    y = x + rng.normal(0, 0.3, len(keys))
    a = dict(zip(keys, x, strict=True))
    b = dict(zip(reversed(keys), y[::-1], strict=True))
    assert spearman(a, b) == pytest.approx(spearmanr(x, y).statistic)


def test_spearman_degenerate_and_bad_input():
    assert math.isnan(spearman({"0-0": 1.0}, {"0-0": 2.0}))
    assert math.isnan(spearman({"0-0": 1.0, "0-1": 1.0}, {"0-0": 1.0, "0-1": 2.0}))
    with pytest.raises(ValueError, match="head ids differ"):
        spearman({"0-0": 1.0, "0-1": 2.0}, {"0-0": 1.0, "0-2": 2.0})
    with pytest.raises(ValueError, match="non-finite"):
        spearman({"0-0": 1.0, "0-1": float("nan")}, {"0-0": 1.0, "0-1": 2.0})
