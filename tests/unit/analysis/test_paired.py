"""Tests of the paired top-k against random-k statistics (harness/analysis/paired.py) and their tables
(harness/analysis/top_vs_random.py): exact sign-flip p-values checked by enumeration, on a crafted answers CSV
read through the run loader."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest

from harness.analysis.loading import load_run
from harness.analysis.paired import (
    PairedCurves,
    compare_curves,
    paired_drop_interval,
    sign_flip_pvalue,
    trapezoid_weights,
)
from harness.analysis.tables import analyze
from harness.analysis.top_vs_random import curves_of
from tests.helpers.fake_results import ANSWER_FIELDS, FakeModel, write_fake_run

TINY = FakeModel("tiny-crafted", "llama", 5, 4, 2, True, 8, (0, 2, 4))  # 20 heads
# Six test samples, two seeds. Per sample: top-k correctness and the two seeds' random-k correctness.
TOP = {0: [1, 1, 1, 1, 0, 1], 2: [0, 0, 0, 1, 0, 1], 4: [0, 0, 0, 0, 0, 1]}
RANDOM = {2: ([1, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 1]), 4: ([1, 1, 0, 1, 0, 1], [1, 1, 1, 0, 0, 1])}


def enumerate_pvalue(values) -> float:
    """Two-sided sign-flip p-value by listing all 2^n sign patterns."""
    v = np.asarray(values, dtype=float)
    obs = abs(v.sum())
    hits = sum(abs(np.dot(signs, v)) >= obs - 1e-12 for signs in itertools.product((-1, 1), repeat=len(v)))
    return hits / 2 ** len(v)


def write_crafted_answers(path: Path, method: str = "wu24", question: str = "inc_year") -> None:
    """The answers CSV of TOP / RANDOM in the study's layout."""
    rows = []
    for k, flags in TOP.items():
        rows += [(f"s{i}", "top", k, "", ok) for i, ok in enumerate(flags)]
    for k, per_seed in RANDOM.items():
        for seed, flags in enumerate(per_seed):
            rows += [(f"s{i}", "random", k, seed, ok) for i, ok in enumerate(flags)]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=ANSWER_FIELDS)
        w.writeheader()
        for sid, kind, k, seed, ok in rows:
            w.writerow({"sample_id": sid, "method": method, "question": question, "k": k, "kind": kind, "seed": seed,
                        "condition": f"{method}/{kind}/k={k}", "generated_text": "x", "parsed_answer": "x",
                        "truth": "x", "correct": bool(ok)})


@pytest.fixture()
def crafted_run(tmp_path: Path) -> Path:
    run = write_fake_run(tmp_path, models=(TINY,), methods=("wu24",), questions=("inc_year",), n_test=6,
                         seeds=(0, 1), synthetic=False)
    write_crafted_answers(run / "ablation" / "wu24" / f"{TINY.name}__inc_year.answers.csv")
    return run


def test_sign_flip_pvalue_is_exact_by_enumeration() -> None:
    rng = np.random.default_rng(3)
    for _ in range(150):
        v = rng.integers(-4, 5, size=int(rng.integers(1, 11)))
        assert sign_flip_pvalue(v) == pytest.approx(enumerate_pvalue(v), abs=1e-12)
    assert sign_flip_pvalue([0, 0, 0]) == 1.0 and np.isnan(sign_flip_pvalue([]))
    assert sign_flip_pvalue([3, 3, 3, 3]) == pytest.approx(2 / 16)


def test_sign_flip_pvalue_falls_back_to_monte_carlo_for_non_integers() -> None:
    v = np.array([0.3, 0.5, 0.25, 0.7, 0.1, 0.45])
    assert sign_flip_pvalue(v, n_perm=20_000) == pytest.approx(enumerate_pvalue(v), abs=0.01)


def test_crafted_answers_csv_gives_the_enumerated_pvalues(crafted_run: Path) -> None:
    res = load_run(crafted_run)
    key = (TINY.name, "wu24", "inc_year")
    curves = curves_of(res.answers[key], [0, 2, 4], 20)
    assert curves.n == 6 and curves.n_seeds == 2 and list(curves.ks) == [0, 2, 4]
    # k = 2: per-sample differences -1, -1/2, -1, 0, -1/2, 0; only all-negative or all-positive flips of the
    # four non-zero ones reach |sum| = 3, so p = 2/16
    d2 = np.array(TOP[2]) - np.mean(RANDOM[2], axis=0)
    np.testing.assert_allclose(curves.differences()[1], d2)
    by_k = analyze(crafted_run).top_vs_random_by_k.set_index("k")
    assert by_k.loc[2, "p_value"] == pytest.approx(2 / 16) == pytest.approx(enumerate_pvalue(d2))
    d4 = np.array(TOP[4]) - np.mean(RANDOM[4], axis=0)
    assert by_k.loc[4, "p_value"] == pytest.approx(enumerate_pvalue(d4))
    assert by_k.loc[2, "top_acc_pct"] == pytest.approx(100 * 2 / 6)
    assert by_k.loc[2, "random_acc_pct"] == pytest.approx(100 * np.mean(RANDOM[2]))
    assert by_k.loc[2, "diff_pp"] == pytest.approx(100 * d2.mean())
    assert by_k.loc[2, "pct_heads"] == pytest.approx(10.0)
    assert by_k.loc[0, "diff_pp"] == 0 and np.isnan(by_k.loc[0, "p_value"])
    assert not by_k["beyond_chance"].any()  # six samples cannot reach p < 0.05 / 2


def test_whole_grid_gap_is_the_trapezoid_area_over_the_span(crafted_run: Path) -> None:
    cur = analyze(crafted_run).top_vs_random_curves.iloc[0]
    d = np.array([np.zeros(6), np.array(TOP[2]) - np.mean(RANDOM[2], axis=0),
                  np.array(TOP[4]) - np.mean(RANDOM[4], axis=0)])
    x = np.array([0, 2, 4]) / 20
    area = np.trapezoid(d.mean(axis=1), x)
    assert cur["area_pp"] == pytest.approx(100 * area)
    assert cur["gap_pp"] == pytest.approx(100 * area / 0.2)
    per_sample = trapezoid_weights([0, 2, 4], 20) @ d
    assert cur["gap_p_value"] == pytest.approx(enumerate_pvalue(per_sample))
    assert cur["gap_ci_low_pp"] <= cur["gap_pp"] <= cur["gap_ci_high_pp"]
    assert cur["k_max"] == 4 and cur["n"] == 6 and cur["ks_beyond"] == ""


def test_bootstrap_resamples_samples_and_seeds() -> None:
    """Identical seeds: resampling seeds changes nothing, so the interval is the samples' own; one seed far from
    the other widens it."""
    top = np.array([[1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1]], dtype=float)
    same = np.stack([top[0], np.array([1, 1, 1, 1, 1, 1, 0, 1.0])])
    rand_same = np.stack([np.stack([top[0], top[0]], axis=-1), np.stack([same[1], same[1]], axis=-1)])
    rand_diff = rand_same.copy()
    rand_diff[1, :, 1] = 0.0
    a = compare_curves(PairedCurves(np.array([0, 2]), top, rand_same, 20), n_boot=2000)
    b = compare_curves(PairedCurves(np.array([0, 2]), top, rand_diff, 20), n_boot=2000)
    assert a.per_k[1].diff == pytest.approx(0.5 - 7 / 8)
    assert b.per_k[1].diff == pytest.approx(0.5 - 7 / 16)
    assert a.per_k[0].ci_low == a.per_k[0].ci_high == 0.0
    width_a = a.per_k[1].ci_high - a.per_k[1].ci_low
    width_b = b.per_k[1].ci_high - b.per_k[1].ci_low
    assert width_b > width_a


def test_paired_drop_interval_is_tighter_than_independent_ones() -> None:
    base = np.array([1, 1, 1, 1, 1, 1, 0, 0, 1, 1] * 4, dtype=float)
    ablated = base.copy()
    ablated[:4] = 0  # the same samples: only four answers changed
    lo, hi = paired_drop_interval(base, ablated, n_boot=2000)
    assert lo > 0 and lo <= 0.1 <= hi
    with pytest.raises(ValueError, match="paired"):
        paired_drop_interval(base, ablated[:-1])
