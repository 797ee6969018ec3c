"""Scores used by the ablation and the analysis: accuracy with a bootstrap interval, ROUGE-1 recall,
Jaccard overlap of head sets with its random-set reference and p-value, and rank correlation of head scores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np

# Upper bound on the elements of one resampling block (rows x n), so memory stays bounded for large n.
_BOOT_BLOCK_ELEMENTS = 4_000_000


def _as_1d_float(values: Sequence[bool | float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    return arr


def accuracy(correct: Sequence[bool | float]) -> float:
    """Share of correct samples (mean of bools or per-sample scores in [0, 1]); NaN for no samples."""
    arr = _as_1d_float(correct, "correct")
    return float(arr.mean()) if arr.size else math.nan


def bootstrap_ci(
    correct: Sequence[bool | float], n_boot: int = 1000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean: resample the samples with replacement ``n_boot``
    times and take the ``alpha/2`` and ``1 - alpha/2`` quantiles (numpy's default linear
    interpolation) of the resampled means. Deterministic for a given ``seed``; (nan, nan) for no samples.
    """
    if not (isinstance(n_boot, int) and n_boot >= 1):
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    arr = _as_1d_float(correct, "correct")
    n = arr.size
    if n == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot, dtype=float)
    rows = max(1, _BOOT_BLOCK_ELEMENTS // n)
    for start in range(0, n_boot, rows):
        stop = min(n_boot, start + rows)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = arr[idx].mean(axis=1)
    low, high = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])
    return (float(low), float(high))


@lru_cache(maxsize=1)
def _rouge1_scorer():  # type: ignore[no-untyped-def]
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)


def rouge1_recall(reference: str, prediction: str) -> float:
    """ROUGE-1 recall of ``prediction`` against ``reference`` (rouge-score, Porter stemming), in [0, 1].

    rouge-score lowercases and splits on non-alphanumerics, so "12,500" is the two tokens "12" "500".
    An empty reference scores 0.
    """
    return float(_rouge1_scorer().score(reference, prediction)["rouge1"].recall)


def jaccard(a: Iterable[object], b: Iterable[object]) -> float:
    """|A ∩ B| / |A ∪ B| of two collections taken as sets; NaN when both are empty (undefined)."""
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else math.nan


def _check_sizes(n_total: int, k1: int, k2: int) -> None:
    for name, v in (("n_total", n_total), ("k1", k1), ("k2", k2)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    if k1 > n_total or k2 > n_total:
        raise ValueError(f"set sizes k1={k1}, k2={k2} cannot exceed n_total={n_total}")


def _intersection_pmf(n_total: int, k1: int, k2: int) -> dict[int, Fraction]:
    """Exact hypergeometric law of |A ∩ B| for a fixed k1-set A and a uniform random k2-set B of n_total."""
    denom = math.comb(n_total, k2)
    lo, hi = max(0, k1 + k2 - n_total), min(k1, k2)
    return {i: Fraction(math.comb(k1, i) * math.comb(n_total - k1, k2 - i), denom) for i in range(lo, hi + 1)}


def random_jaccard_expectation(n_total: int, k1: int, k2: int) -> float:
    """Exact E[Jaccard] of two independent uniformly random subsets of sizes k1 and k2 of n_total items.

    With I = |A ∩ B| hypergeometric, Jaccard = I / (k1 + k2 - I); the expectation is summed exactly
    over the support of I. NaN when k1 = k2 = 0.
    """
    _check_sizes(n_total, k1, k2)
    if k1 == 0 and k2 == 0:
        return math.nan
    pmf = _intersection_pmf(n_total, k1, k2)
    return float(sum(p * Fraction(i, k1 + k2 - i) for i, p in pmf.items()))


def overlap_pvalue(n_total: int, k1: int, k2: int, observed_intersection: int) -> float:
    """P[|A ∩ B| >= observed_intersection] for random sets of sizes k1, k2 of n_total (hypergeometric
    upper tail, computed exactly). 1.0 for an observed overlap <= 0.
    """
    _check_sizes(n_total, k1, k2)
    if observed_intersection > min(k1, k2):
        raise ValueError(f"observed_intersection={observed_intersection} exceeds min(k1, k2)={min(k1, k2)}")
    pmf = _intersection_pmf(n_total, k1, k2)
    return float(sum(p for i, p in pmf.items() if i >= observed_intersection))


def spearman(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Spearman rank correlation of two head-score dicts keyed by head id ("layer-head"), aligned by key
    (ties get average ranks). The key sets must be equal; NaN when fewer than 2 heads or a constant input.
    """
    from scipy.stats import spearmanr

    missing_b = sorted(set(a) - set(b))
    missing_a = sorted(set(b) - set(a))
    if missing_a or missing_b:
        raise ValueError(
            f"head ids differ: {len(missing_b)} only in the first ({missing_b[:5]}), "
            f"{len(missing_a)} only in the second ({missing_a[:5]})"
        )
    keys = sorted(a)
    x = np.array([a[k] for k in keys], dtype=float)
    y = np.array([b[k] for k in keys], dtype=float)
    for name, arr in (("first", x), ("second", y)):
        bad = [keys[i] for i in np.flatnonzero(~np.isfinite(arr))]
        if bad:
            raise ValueError(f"non-finite scores in the {name} dict for heads {bad[:5]}")
    if len(keys) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan
    return float(spearmanr(x, y).statistic)
