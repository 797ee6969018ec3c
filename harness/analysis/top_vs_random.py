"""The paired top-k against random-k tables of a run, from the ablation units' answers CSVs.

For every (model, method, question) with an answers CSV: :func:`curves_of` lays its answers out as
:class:`harness.analysis.paired.PairedCurves` (samples that answered under every condition), and
:func:`top_vs_random` tests every k and the whole grid (:func:`harness.analysis.paired.compare_curves`).
The per-k tests of the whole run are one family and the whole-grid tests another, each Bonferroni-corrected
(:func:`harness.analysis.verdicts.bonferroni_threshold`), as the overlap tests are.

Tables (columns ending in ``_pp`` are percentage points, ``_pct`` percent; differences are top minus
random, so a negative difference means ablating the top heads cost more accuracy than ablating random ones):

- ``by_k``: one row per (cell, k) with top and random accuracy, the difference, its interval, p-value,
  the corrected threshold and the verdict;
- ``curves``: one row per cell with the whole-grid gap (area between the curves / span of the grid) and its
  test, the ks where top beats random, the strongest k and the verdict at the largest k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adapters.questions import QUESTIONS
from harness.analysis.loading import Key, RunResults
from harness.analysis.paired import PairedCurves, compare_curves, paired_drop_interval
from harness.analysis.verdicts import KTest, Separation, bonferroni_threshold, cell_verdict, separation

BY_K_COLS = ["model", "method", "question", "qtype", "k", "n_total", "pct_heads", "n", "n_seeds", "top_acc_pct",
             "random_acc_pct", "diff_pp", "diff_ci_low_pp", "diff_ci_high_pp", "p_value", "p_threshold",
             "verdict", "beyond_chance"]
CURVE_COLS = ["model", "method", "question", "qtype", "n_total", "k_max", "pct_heads_max", "n", "n_seeds",
              "area_pp", "gap_pp", "gap_ci_low_pp", "gap_ci_high_pp", "gap_p_value", "gap_threshold", "gap_verdict",
              "n_k_tested", "ks_beyond", "ks_reversed", "beyond_at_some_k", "beyond_at_kmax", "best_k",
              "best_pct_heads", "best_top_pct", "best_random_pct", "best_diff_pp", "best_ci_low_pp",
              "best_ci_high_pp", "best_p_value", "k_threshold"]


def curves_of(answers: pd.DataFrame, ks: list[int], n_total: int) -> PairedCurves | None:
    """The unit's answers as paired arrays over ``ks`` (None when it has no random-k answers).

    Only samples that answered under every condition (each k's top-k and every seed's random-k) are kept.
    """
    answers = answers.assign(correct=answers["correct"].astype(int))
    top = answers[answers["kind"] == "top"].pivot_table(index="sample_id", columns="k", values="correct",
                                                         aggfunc="first")
    rand = answers[answers["kind"] == "random"]
    seeds = sorted(set(rand["seed"]))
    if not seeds or 0 not in top.columns:
        return None
    rnd = rand.pivot_table(index="sample_id", columns=["k", "seed"], values="correct", aggfunc="first")
    grid = [k for k in ks if k in top.columns and (k == 0 or all((k, s) in rnd.columns for s in seeds))]
    cols_top = top[grid].dropna()
    rand_cols = [(k, s) for k in grid if k > 0 for s in seeds]
    complete = cols_top.index.intersection(rnd[rand_cols].dropna().index) if rand_cols else cols_top.index
    samples = sorted(complete)
    t = cols_top.loc[samples].to_numpy(dtype=float).T  # (K, n)
    r = np.empty((len(grid), len(samples), len(seeds)))
    for j, k in enumerate(grid):
        r[j] = t[0][:, None] if k == 0 else rnd.loc[samples, [(k, s) for s in seeds]].to_numpy(dtype=float)
    return PairedCurves(np.asarray(grid), t, r, int(n_total))


def _cell_rows(res: RunResults, key: Key) -> tuple[list[list], list]:
    """The per-k rows (without thresholds) and the whole-grid row stub of one cell."""
    model, method, q = key
    abl = res.ablations[key]
    n_total = res.n_total(model)
    curves = curves_of(res.answers[key], sorted(int(r["k"]) for r in abl["top"]), n_total)
    if curves is None or curves.n == 0 or len(curves.ks) < 2:
        return [], []
    n_boot = int((abl.get("settings") or {}).get("n_bootstrap", 1000))
    cmp = compare_curves(curves, n_boot=n_boot)
    qtype = QUESTIONS[q].qtype
    by_k = [[model, method, q, qtype, int(k), n_total, 100 * k / n_total, curves.n, curves.n_seeds, 100 * c.top,
             100 * c.random, 100 * c.diff, 100 * c.ci_low, 100 * c.ci_high, c.p_value]
            for k, c in zip(curves.ks, cmp.per_k, strict=True)]
    g = cmp.gap
    k_max = int(curves.ks[-1])
    curve = [model, method, q, qtype, n_total, k_max, 100 * k_max / n_total, curves.n, curves.n_seeds,
             100 * cmp.area, 100 * g.diff, 100 * g.ci_low, 100 * g.ci_high, g.p_value]
    return by_k, curve


def _best_fields(rows: pd.DataFrame, threshold: float) -> list:
    """The cell's verdict columns from its per-k rows."""
    tests = [KTest(int(r.k), float(r.pct_heads), float(r.diff_pp), float(r.p_value)) for r in rows.itertuples()]
    v = cell_verdict(tests, threshold)
    n_tested = sum(1 for t in tests if t.k > 0 and np.isfinite(t.p_value))
    head = [n_tested, ";".join(map(str, v.ks_beyond)), ";".join(map(str, v.ks_reversed)), bool(v.ks_beyond),
            v.at_kmax is Separation.TOP_LOWER]
    if v.strongest is None:
        return head + [np.nan] * 8 + [threshold]
    b = rows[rows["k"] == v.strongest.k].iloc[0]
    return head + [int(b["k"]), b["pct_heads"], b["top_acc_pct"], b["random_acc_pct"], b["diff_pp"],
                   b["diff_ci_low_pp"], b["diff_ci_high_pp"], b["p_value"], threshold]


def top_vs_random(res: RunResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(by_k, curves): the paired tests of every cell with an answers CSV (module docstring)."""
    by_k_rows, curve_rows = [], []
    for key in res.ablations:
        if key in res.answers:
            rows, curve = _cell_rows(res, key)
            by_k_rows += rows
            if curve:
                curve_rows.append(curve)
    by_k = pd.DataFrame(by_k_rows, columns=BY_K_COLS[:15])
    k_thr = bonferroni_threshold(int((by_k["k"] > 0).sum()) if not by_k.empty else 0)
    by_k["p_threshold"] = k_thr
    by_k["verdict"] = [separation(d, p, k_thr).name.lower() for d, p in zip(by_k["diff_pp"], by_k["p_value"],
                                                                           strict=True)]
    by_k["beyond_chance"] = by_k["verdict"] == Separation.TOP_LOWER.name.lower()
    curves = pd.DataFrame(curve_rows, columns=CURVE_COLS[:14])
    g_thr = bonferroni_threshold(len(curves))
    curves["gap_threshold"] = g_thr
    curves["gap_verdict"] = [separation(d, p, g_thr).name.lower() for d, p in zip(curves["gap_pp"],
                                                                                 curves["gap_p_value"], strict=True)]
    extra = [_best_fields(by_k[(by_k["model"] == r.model) & (by_k["method"] == r.method)
                               & (by_k["question"] == r.question)], k_thr) for r in curves.itertuples()]
    for i, col in enumerate(CURVE_COLS[16:]):
        curves[col] = [e[i] for e in extra]
    return by_k, curves


def paired_drop_intervals(res: RunResults) -> dict[tuple[Key, int], tuple[float, float]]:
    """Per (cell, k): the 95% paired bootstrap interval of the top-k drop from the baseline, in pp (cells with
    an answers CSV only)."""
    out = {}
    for key, answers in res.answers.items():
        if key not in res.ablations:
            continue
        answers = answers.assign(correct=answers["correct"].astype(int))
        top = answers[answers["kind"] == "top"].pivot_table(index="sample_id", columns="k", values="correct",
                                                             aggfunc="first")
        if 0 not in top.columns:
            continue
        n_boot = int((res.ablations[key].get("settings") or {}).get("n_bootstrap", 1000))
        for k in top.columns:
            pair = top[[0, k]].dropna().to_numpy(dtype=float)
            lo, hi = paired_drop_interval(pair[:, 0], pair[:, 1], n_boot=n_boot)
            out[(key, int(k))] = (100 * lo, 100 * hi)
    return out
