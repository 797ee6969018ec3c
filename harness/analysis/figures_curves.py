"""The figures of the ablation curves: Figure 8 (single and grid), the paired top-minus-random differences,
and the sensitivity curves and bars; k is labelled in heads and as a share of the model's heads."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from adapters.questions import QUESTIONS
from harness.analysis import figure_style as style
from harness.analysis.format import mask_semantics, share_of_heads
from harness.analysis.tables import QTYPE_ORDER, Analysis
from harness.methods.registry import method_label

# -------------------------------------------------------------------------------------------- Figure 8


def _curve_data(an: Analysis, model: str, method: str, q: str) -> dict:
    ab = an.ablation
    sel = (ab["model"] == model) & (ab["method"] == method) & (ab["question"] == q)
    top = ab[sel & (ab["condition"] == "top")].sort_values("k")
    rs = an.random_summary
    rs = rs[(rs["model"] == model) & (rs["method"] == method) & (rs["question"] == q)].sort_values("k")
    base = float(top.loc[top["k"] == 0, "accuracy"].iloc[0])
    rk, rmean, rmin, rmax = list(rs["k"]), list(rs["mean"]), list(rs["min"]), list(rs["max"])
    if rk and 0 not in rk:  # the random curve starts at the shared unablated baseline
        rk, rmean, rmin, rmax = [0] + rk, [base] + rmean, [base] + rmin, [base] + rmax
    row = an.sensitivity[(an.sensitivity["model"] == model) & (an.sensitivity["method"] == method)
                         & (an.sensitivity["question"] == q)].iloc[0]
    bk = an.top_vs_random_by_k
    beyond = set(bk.loc[(bk["model"] == model) & (bk["method"] == method) & (bk["question"] == q)
                        & bk["beyond_chance"], "k"]) if not bk.empty else set()
    return {"k": top["k"].to_numpy(), "acc": 100 * top["accuracy"].to_numpy(),
            "n_total": an.results.n_total(model), "beyond": beyond,
            "lo": 100 * top["ci_low"].to_numpy(), "hi": 100 * top["ci_high"].to_numpy(),
            "rk": np.array(rk), "rmean": 100 * np.array(rmean), "rmin": 100 * np.array(rmin),
            "rmax": 100 * np.array(rmax), "n_seeds": int(rs["n_seeds"].max()) if len(rs) else 0,
            "n_test": int(row["n_test"]), "mode": row["mask_mode"], "scope": row["mask_scope"]}


def _draw_fig8(ax, d: dict, method: str) -> list:
    handles = []
    handles.append(ax.fill_between(d["k"], d["lo"], d["hi"], color=style.TOP_COLOR, alpha=0.18, lw=0,
                                   label="top-k: 95% bootstrap CI"))
    handles.append(ax.plot(d["k"], d["acc"], "-o", color=style.TOP_COLOR, ms=4, lw=1.8,
                           label=f"top-k heads ({method_label(method)})")[0])
    if len(d["rk"]):
        handles.append(ax.fill_between(d["rk"], d["rmin"], d["rmax"], color=style.RANDOM_COLOR, alpha=0.15, lw=0,
                                       label=f"random-k: min-max over {d['n_seeds']} seeds"))
        handles.append(ax.plot(d["rk"], d["rmean"], "--s", color=style.RANDOM_COLOR, ms=3.5, lw=1.5,
                               label=f"random-k heads: mean of {d['n_seeds']} seeds")[0])
    marked = [i for i, k in enumerate(d["k"]) if k in d["beyond"]]
    if marked:
        handles.append(ax.scatter(d["k"][marked], d["acc"][marked], s=70, marker="*", color="black", zorder=4,
                                  label="top-k below random-k beyond chance (paired test, Bonferroni)"))
    ax.set_ylim(-3, 103)
    ax.set_xticks(d["k"], style.k_tick_labels(d["k"], d["n_total"]))
    ax.grid(alpha=0.3, lw=0.5)
    return handles


def fig8_single(an: Analysis, model: str, method: str, q: str, path: Path, pdf: bool, written: list[Path]) -> None:
    """One Figure-8 replication."""
    d = _curve_data(an, model, method, q)
    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    handles = _draw_fig8(ax, d, method)
    ax.set_xlabel(style.k_axis_label())
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{style.model_label(an, model)} · {method_label(method)} · {QUESTIONS[q].short}\n"
                 f"n_test = {d['n_test']}{style.data_tags(an, [model])}\n{mask_semantics([d['mode']], [d['scope']])}")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    style.save_figure(fig, path, pdf, written)


def fig8_grid(an: Analysis, model: str, path: Path, pdf: bool, written: list[Path]) -> None:
    """Figure-8 grid of one model: rows = methods, columns = questions."""
    sens = an.sensitivity[an.sensitivity["model"] == model]
    methods = [m for m in an.results.methods() if m in set(sens["method"])]
    qs = [q for q in style.questions_by_type(an) if q in set(sens["question"])]
    fig, axes = plt.subplots(len(methods), len(qs), figsize=(2.9 * len(qs) + 0.6, 2.6 * len(methods) + 1.2),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    handles, n_tests = [], set()
    for i, method in enumerate(methods):
        for j, q in enumerate(qs):
            ax = axes[i][j]
            if not ((sens["method"] == method) & (sens["question"] == q)).any():
                ax.set_axis_off()
                continue
            d = _curve_data(an, model, method, q)
            n_tests.add(d["n_test"])
            h = _draw_fig8(ax, d, method)
            handles = handles or h
            ax.set_title(f"{method_label(method)}\n{QUESTIONS[q].short}")
            if i == len(methods) - 1:
                ax.set_xlabel(style.k_axis_label(short=True))
            if j == 0:
                ax.set_ylabel("accuracy (%)")
    legend = [Line2D([], [], color=style.TOP_COLOR, marker="o", ms=4, label="top-k heads of the row's method"),
              Patch(color=style.TOP_COLOR, alpha=0.18, label="top-k 95% bootstrap CI"),
              Line2D([], [], color=style.RANDOM_COLOR, ls="--", marker="s", ms=3.5, label="random-k mean over seeds"),
              Patch(color=style.RANDOM_COLOR, alpha=0.15, label="random-k min-max over seeds"),
              Line2D([], [], color="black", marker="*", ls="", ms=9,
                     label="top-k below random-k beyond chance (paired, Bonferroni)")]
    fig.legend(handles=legend, loc="outside lower center", ncols=3, frameon=False)
    n_txt = "/".join(str(n) for n in sorted(n_tests))
    fig.suptitle(f"{style.model_label(an, model)}: accuracy vs number of heads ablated\n"
                 f"n_test = {n_txt}, {style.model_mask_semantics(an, model)}{style.data_tags(an, [model])}")
    style.save_figure(fig, path, pdf, written)


# ------------------------------------------------------------------------------------ top vs random


def _draw_difference(ax, rows, n_total: int) -> None:
    """One cell's difference top minus random (pp) vs k: band = paired 95% CI, filled = beyond chance."""
    ks = rows["k"].to_numpy()
    ax.fill_between(ks, rows["diff_ci_low_pp"], rows["diff_ci_high_pp"], color=style.TOP_COLOR, alpha=0.18, lw=0)
    ax.plot(ks, rows["diff_pp"], "-o", color=style.TOP_COLOR, ms=4, lw=1.6, mfc="white")
    sig = rows["beyond_chance"].to_numpy(bool)
    ax.plot(ks[sig], rows["diff_pp"].to_numpy()[sig], "o", color=style.TOP_COLOR, ms=5)
    ax.axhline(0, color="#666666", lw=0.9)
    ax.set_xticks(ks, style.k_tick_labels(ks, n_total))
    ax.set_ylim(-103, 103)
    ax.grid(alpha=0.3, lw=0.5)


def top_vs_random_figure(an: Analysis, model: str, path: Path, written: list[Path]) -> None:
    """Paired difference top-k minus random-k accuracy at every k: rows = methods, columns = questions."""
    bk = an.top_vs_random_by_k[an.top_vs_random_by_k["model"] == model]
    methods = [m for m in an.results.methods() if m in set(bk["method"])]
    qs = [q for q in style.questions_by_type(an) if q in set(bk["question"])]
    fig, axes = plt.subplots(len(methods), len(qs), figsize=(2.9 * len(qs) + 0.6, 2.5 * len(methods) + 1.4),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    n_total = an.results.n_total(model)
    for i, method in enumerate(methods):
        for j, q in enumerate(qs):
            ax = axes[i][j]
            rows = bk[(bk["method"] == method) & (bk["question"] == q)].sort_values("k")
            if rows.empty:
                ax.set_axis_off()
                continue
            _draw_difference(ax, rows, n_total)
            ax.set_title(f"{method_label(method)}\n{QUESTIONS[q].short}")
            if i == len(methods) - 1:
                ax.set_xlabel(style.k_axis_label(short=True))
            if j == 0:
                ax.set_ylabel("top − random\naccuracy (pp)")
    thr = float(bk["p_threshold"].iloc[0])
    legend = [Line2D([], [], color=style.TOP_COLOR, marker="o", mfc="white", ms=4, label="top-k minus random-k "
                     "(per sample, mean over seeds)"),
              Patch(color=style.TOP_COLOR, alpha=0.18, label="paired 95% bootstrap CI (samples and seeds)"),
              Line2D([], [], color=style.TOP_COLOR, marker="o", ls="", ms=5,
                     label=f"top-k below random-k beyond chance (sign flip, p < {thr:.2g})")]
    fig.legend(handles=legend, loc="outside lower center", ncols=3, frameon=False)
    n_txt = "/".join(str(n) for n in sorted(set(bk["n"])))
    fig.suptitle(f"{style.model_label(an, model)}: top-k minus random-k accuracy, paired over the test samples\n"
                 f"n = {n_txt}, {style.model_mask_semantics(an, model)}{style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


# ----------------------------------------------------------------------------------------- sensitivity


def sensitivity_curves(an: Analysis, model: str, path: Path, written: list[Path]) -> None:
    """Accuracy drop from k = 0 vs k: rows = methods, columns = question types; top solid, random dashed."""
    cur = an.sensitivity_curves[an.sensitivity_curves["model"] == model]
    methods = [m for m in an.results.methods() if m in set(cur["method"])]
    types = [t for t in QTYPE_ORDER if t in set(cur["qtype"])]
    fig, axes = plt.subplots(len(methods), len(types), figsize=(4.2 * len(types), 2.4 * len(methods) + 1.1),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    qs_seen = []
    for i, method in enumerate(methods):
        for j, t in enumerate(types):
            ax = axes[i][j]
            sub = cur[(cur["method"] == method) & (cur["qtype"] == t)]
            for q in [q for q in an.results.questions() if q in set(sub["question"])]:
                c = sub[sub["question"] == q].sort_values("k")
                color = style.QUESTION_COLORS.get(q, "#555555")
                ax.plot(c["k"], c["top_drop_pp"], "-o", color=color, ms=3.5, lw=1.6)
                ok = c["random_drop_mean_pp"].notna()
                ax.plot(c["k"][ok], c["random_drop_mean_pp"][ok], "--", color=color, lw=1.2, alpha=0.9)
                if q not in qs_seen:
                    qs_seen.append(q)
            ax.axhline(0, color="#888888", lw=0.8)
            ax.grid(alpha=0.3, lw=0.5)
            ks = sorted(set(sub["k"]))
            ax.set_xticks(ks, style.k_tick_labels(ks, an.results.n_total(model)))
            ax.set_title(f"{method_label(method)} · {t} questions")
            if j == 0:
                ax.set_ylabel("accuracy drop\nfrom k=0 (pp)")
            if i == len(methods) - 1:
                ax.set_xlabel(style.k_axis_label())
    handles = [Line2D([], [], color=style.QUESTION_COLORS.get(q, "#555"), lw=2, label=QUESTIONS[q].short) for q in qs_seen]
    handles += [Line2D([], [], color="black", ls="-", marker="o", ms=3.5, label="top-k heads"),
                Line2D([], [], color="black", ls="--", label="random-k heads (mean over seeds)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(f"{style.model_label(an, model)}: sensitivity to ablation by question type\n"
                 f"{style.model_mask_semantics(an, model)}{style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


def error_bar_lengths(center: float, low: float, high: float) -> list[list[float]]:
    """Error-bar lengths below and above ``center`` (never negative: rounding can put a mean past its min)."""
    return [[max(0.0, center - low)], [max(0.0, high - center)]]


def sensitivity_bars(an: Analysis, model: str, path: Path, written: list[Path]) -> None:
    """Drop at the largest k per question: top-k bar with its interval, random-k mean and min-max."""
    sens = an.sensitivity[an.sensitivity["model"] == model]
    methods = [m for m in an.results.methods() if m in set(sens["method"])]
    qs = [q for t in QTYPE_ORDER for q in an.results.questions() if QUESTIONS[q].qtype == t
          and q in set(sens["question"])]
    fig, axes = plt.subplots(1, len(methods), figsize=(4.3 * len(methods) + 0.6, 3.9), sharey=True,
                             squeeze=False, layout="constrained")
    for j, method in enumerate(methods):
        ax = axes[0][j]
        sub = sens[sens["method"] == method].set_index("question")
        x = np.arange(len(qs))
        for xi, q in zip(x, qs, strict=True):
            if q not in sub.index:
                continue
            r = sub.loc[q]
            ax.bar(xi - 0.18, r["top_drop_pp"], width=0.36, color=style.QTYPE_COLORS[QUESTIONS[q].qtype], alpha=0.85)
            ax.errorbar(xi - 0.18, r["top_drop_pp"],
                        yerr=error_bar_lengths(r["top_drop_pp"], r["top_drop_ci_low_pp"], r["top_drop_ci_high_pp"]),
                        color="black", capsize=3, lw=1)
            if np.isfinite(r["random_drop_mean_pp"]):
                ax.errorbar(xi + 0.18, r["random_drop_mean_pp"],
                            yerr=error_bar_lengths(r["random_drop_mean_pp"], r["random_drop_min_pp"], r["random_drop_max_pp"]),
                            fmt="s", color=style.RANDOM_COLOR, capsize=3, ms=4, lw=1)
        ax.axhline(0, color="#888888", lw=0.8)
        ax.set_xticks(x, [QUESTIONS[q].short.replace(" ", "\n", 1) for q in qs])
        ks = "/".join(f"{k} ({share_of_heads(100 * k / an.results.n_total(model))} of heads)"
                      for k in sorted(set(sub["k_max"])))
        ax.set_title(f"{method_label(method)}\n(k = {ks})")
        ax.grid(axis="y", alpha=0.3, lw=0.5)
        if j == 0:
            ax.set_ylabel("accuracy drop at largest k (pp)")
    handles = [Patch(color=style.QTYPE_COLORS[t], alpha=0.85, label=f"top-k, {t} question") for t in QTYPE_ORDER]
    handles += [Line2D([], [], color="black", marker="|", ls="", ms=10,
                       label="top-k drop: paired 95% bootstrap CI"),
                Line2D([], [], color=style.RANDOM_COLOR, marker="s", ls="", ms=4,
                       label="random-k: mean, bar = min-max over seeds")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    n_txt = "/".join(str(n) for n in sorted(set(sens["n_test"])))
    fig.suptitle(f"{style.model_label(an, model)}: accuracy drop at the largest k, n_test = {n_txt}\n"
                 f"{style.model_mask_semantics(an, model)}{style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


