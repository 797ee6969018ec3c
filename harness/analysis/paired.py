"""Paired statistics of top-k against random-k ablation, from the per-sample answers of one ablation unit.

The same test samples answer under every condition, so the comparison is paired: per sample and k, the
difference d = top-k correctness minus the mean correctness over the random seeds. Per k this module gives
the mean difference (top minus random accuracy) with a paired bootstrap interval and a two-sided sign-flip
permutation p-value; over the whole grid, the area between the two curves with k as a share of the model's
heads (trapezoid rule; k = 0 is the shared baseline, where the difference is 0) and its mean height (area /
span of the grid), with interval and p-value.

- Bootstrap: each replicate resamples the test samples with replacement (the same draw for top and random
  and for every k: paired) and the random seeds with replacement (so the interval carries the seed-to-seed
  spread of random head sets); percentile interval.
- Sign flip: under the null that top-k and random-k ablation are exchangeable for each sample, every
  per-sample difference is as likely negated. The p-value is exact: differences are whole multiples of
  1 / n_seeds (per k) and of 1 / (2 * n_heads * n_seeds) (the area), so the null distribution of their sum
  is a convolution of binomials (:func:`sign_flip_pvalue`).

Pure numpy / scipy on arrays; reading the answers CSV is :mod:`harness.analysis.top_vs_random`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXACT_SUPPORT = 4_000_000  # largest sum of |scaled differences| the exact sign-flip distribution is built for


@dataclass(frozen=True)
class PairedCurves:
    """Per-sample correctness of one ablation unit: ``top`` (K, n) and ``random`` (K, n, S) in {0, 1}.

    ``ks`` (K,) is the grid, starting at 0 (the baseline: ``random[0]`` repeats ``top[0]``); ``n_total`` the
    model's number of heads.
    """

    ks: np.ndarray
    top: np.ndarray
    random: np.ndarray
    n_total: int

    @property
    def n(self) -> int:
        """Test samples."""
        return int(self.top.shape[1])

    @property
    def n_seeds(self) -> int:
        """Random seeds."""
        return int(self.random.shape[2])

    def differences(self) -> np.ndarray:
        """(K, n) per-sample top-k correctness minus the mean over seeds of random-k correctness."""
        return self.top - self.random.mean(axis=2)


@dataclass(frozen=True)
class Comparison:
    """Top minus random accuracy (shares) with its 95% paired bootstrap interval and sign-flip p-value."""

    top: float
    random: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class CurveComparison:
    """Every k's comparison, and the whole grid's: ``area`` in (share of accuracy) x (share of heads) and
    ``gap``, the area divided by the grid's span (a mean difference, as a share of accuracy)."""

    per_k: tuple[Comparison, ...]
    area: float
    span: float
    gap: Comparison


def _binomial_pmf(m: int) -> np.ndarray:
    from scipy.stats import binom

    return binom.pmf(np.arange(m + 1), m, 0.5)


def _convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if min(len(a), len(b)) < 64:
        return np.convolve(a, b)
    from scipy.signal import fftconvolve

    return np.clip(fftconvolve(a, b), 0.0, None)


def sign_flip_pvalue(values: Sequence[float], n_perm: int = 20_000, seed: int = 0) -> float:
    """Two-sided sign-flip permutation p-value of the sum of paired differences: P(|sum e_i v_i| >= |sum
    v_i|) over independent fair signs e_i.

    Exact when the values are whole numbers (scale them first) whose absolute sum is at most EXACT_SUPPORT:
    the sum of m signed copies of a magnitude a is a * (2 B - m) with B ~ Binomial(m, 1/2), and the
    distinct magnitudes are convolved. Otherwise Monte Carlo with ``n_perm`` draws ((1 + hits) / (1 +
    n_perm)). 1.0 when every value is 0; NaN for no values.
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return math.nan
    units = np.rint(v)
    if np.allclose(v, units, rtol=0.0, atol=1e-9) and np.abs(units).sum() <= EXACT_SUPPORT:
        mags = np.abs(units).astype(np.int64)
        observed = int(abs(units.sum()))
        pmf = np.ones(1)  # of U = sum of a * B_a over magnitudes a (so that T = 2U - sum(mags))
        for a, m in zip(*np.unique(mags[mags > 0], return_counts=True), strict=True):
            step = np.zeros(int(a) * int(m) + 1)
            step[:: int(a)] = _binomial_pmf(int(m))
            pmf = _convolve(pmf, step)
        t = 2 * np.arange(len(pmf)) - int(mags.sum())
        return float(min(1.0, pmf[np.abs(t) >= observed].sum() / pmf.sum()))
    rng = np.random.default_rng(seed)
    observed_f = abs(v.sum())
    hits = 0
    for start in range(0, n_perm, 1000):
        signs = rng.choice((-1.0, 1.0), size=(min(1000, n_perm - start), v.size))
        hits += int(np.sum(np.abs(signs @ v) >= observed_f - 1e-12))
    return (1 + hits) / (1 + n_perm)


def smallest_sign_flip_pvalue(n: int) -> float:
    """The smallest two-sided sign-flip p-value ``n`` paired samples can give (all differences non-zero and of
    one sign): 2 / 2^n."""
    return 2.0 ** (1 - n) if n >= 1 else math.nan


def trapezoid_weights(ks: Sequence[int], n_total: int) -> np.ndarray:
    """Weights w with sum_k w_k y_k = the trapezoid area under y over x = k / n_total."""
    x = np.asarray(ks, dtype=float) / n_total
    w = np.zeros_like(x)
    w[:-1] += np.diff(x) / 2
    w[1:] += np.diff(x) / 2
    return w


def _bootstrap_diffs(curves: PairedCurves, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, K) resampled mean differences: samples and seeds drawn with replacement, one draw per
    replicate shared by every k."""
    rng = np.random.default_rng(seed)
    n, s = curves.n, curves.n_seeds
    rows = rng.integers(0, n, size=(n_boot, n))
    seed_counts = rng.multinomial(s, np.full(s, 1.0 / s), size=n_boot) / s  # (B, S) weights summing to 1
    out = np.empty((n_boot, len(curves.ks)))
    for j in range(len(curves.ks)):
        rand_mean = curves.random[j] @ seed_counts.T  # (n, B): each sample's mean over the drawn seeds
        top = curves.top[j][rows].mean(axis=1)
        rand = np.take_along_axis(rand_mean.T, rows, axis=1).mean(axis=1)
        out[:, j] = top - rand
    return out


def _interval(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def compare_curves(curves: PairedCurves, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05) -> CurveComparison:
    """Top-k against random-k at every k of ``curves`` and over the whole grid (see the module docstring)."""
    if curves.n == 0:
        nan = Comparison(*([math.nan] * 6))
        return CurveComparison(tuple(nan for _ in curves.ks), math.nan, math.nan, nan)
    d = curves.differences()
    boot = _bootstrap_diffs(curves, n_boot, seed)
    s = curves.n_seeds
    per_k = []
    for j in range(len(curves.ks)):
        lo, hi = _interval(boot[:, j], alpha)
        p = sign_flip_pvalue(d[j] * s, seed=seed) if curves.ks[j] > 0 else math.nan
        per_k.append(Comparison(float(curves.top[j].mean()), float(curves.random[j].mean()), float(d[j].mean()),
                                lo, hi, p))
    w = trapezoid_weights(curves.ks, curves.n_total)
    span = float(curves.ks[-1]) / curves.n_total
    per_sample_area = w @ d  # (n,)
    area = float(per_sample_area.mean())
    if span <= 0:
        return CurveComparison(tuple(per_k), area, span, Comparison(*([math.nan] * 6)))
    lo, hi = _interval(boot @ w / span, alpha)
    scaled = per_sample_area * 2 * curves.n_total * s  # whole numbers: exact sign flip
    top_area = float(w @ curves.top.mean(axis=1)) / span
    rand_area = float(w @ curves.random.mean(axis=(1, 2))) / span
    gap = Comparison(top_area, rand_area, area / span, lo, hi, sign_flip_pvalue(scaled, seed=seed))
    return CurveComparison(tuple(per_k), area, span, gap)


def paired_drop_interval(baseline: Sequence[float], ablated: Sequence[float], n_boot: int = 1000, seed: int = 0,
                         alpha: float = 0.05) -> tuple[float, float]:
    """95% paired bootstrap interval of mean(baseline - ablated) over the same samples (shares)."""
    b, a = np.asarray(baseline, dtype=float), np.asarray(ablated, dtype=float)
    if b.shape != a.shape:
        raise ValueError(f"baseline and ablated must be paired, got shapes {b.shape} and {a.shape}")
    if b.size == 0:
        return math.nan, math.nan
    rows = np.random.default_rng(seed).integers(0, b.size, size=(n_boot, b.size))
    return _interval((b - a)[rows].mean(axis=1), alpha)
