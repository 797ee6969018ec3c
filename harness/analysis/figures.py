"""Figures of a run (matplotlib, Agg backend), drawn from the tables of harness/analysis/tables.py.

``make_figures(run_dir)`` writes under ``<run>/figures/``:

- ``fig8/<model>__<method>__<question>.png|.pdf``: accuracy vs number of heads ablated (Wu et al. 2024,
  Figure 8 style): top-k solid with its 95% bootstrap band, random-k dashed with its min-max band over seeds;
- ``fig8/<model>__grid.png|.pdf``: the same, rows = methods, columns = questions;
- ``top_vs_random/<model>.png``: the paired difference top-k minus random-k at every k with its interval,
  the ks beyond chance marked (rows = methods, columns = questions);
- ``cross_question/<model>__<method>.png``: annotated Jaccard heatmap of the top-n sets of the questions;
- ``layers/<model>__<method>.png``: layer histograms of top heads, numerical vs categorical side by side;
- ``sensitivity/<model>__curves.png`` and ``sensitivity/<model>__at_kmax.png``: accuracy drop vs k grouped
  by question type, and the drop at the largest k with its interval;
- ``cross_method/<model>.png``: method x method overlap per question with the heads all methods share;
- ``models/<a>__vs__<b>.png``: model comparison (head ids only for the same architecture);
- ``tables/*.csv``: the summary tables (harness.analysis.tables.write_tables).

Titles carry model, method, question, n and mask semantics, and say "synthetic data" / "random-weight model"
where the run manifest / model_info say so; k axes show heads and their share of the model's heads. The
curve figures are drawn in harness/analysis/figures_curves.py, the shared style in figure_style.py.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from adapters.questions import QUESTIONS
from harness.analysis import figure_style as style
from harness.analysis.figure_paths import (
    cross_method_path,
    fig8_grid_path,
    fig8_path,
    figures_dir,
    jaccard_path,
    layers_path,
    model_comparison_path,
    sensitivity_bars_path,
    sensitivity_curves_path,
    top_vs_random_path,
)
from harness.analysis.figures_curves import (
    fig8_grid,
    fig8_single,
    sensitivity_bars,
    sensitivity_curves,
    top_vs_random_figure,
)
from harness.analysis.tables import QTYPE_ORDER, Analysis, analyze, write_tables
from harness.methods.registry import method_label

# ------------------------------------------------------------------------------------- cross-question


def jaccard_heatmap(an: Analysis, model: str, method: str, path: Path, written: list[Path]) -> None:
    """Annotated 4 x 4 Jaccard heatmap of top-n sets with the random expectation in the title."""
    cq = an.cross_question
    cq = cq[(cq["model"] == model) & (cq["method"] == method)]
    qs = [q for q in style.questions_by_type(an) if q in set(cq["question_a"]) | set(cq["question_b"])]
    n = len(qs)
    mat = np.full((n, n), np.nan)
    pval = np.full((n, n), np.nan)
    for r in cq.itertuples():
        i, j = qs.index(r.question_a), qs.index(r.question_b)
        mat[i, j] = mat[j, i] = r.jaccard
        pval[i, j] = pval[j, i] = r.p_value
    exp_vals = sorted(set(np.round(cq["expected_jaccard"], 4)))
    top_ns = sorted(set(cq["n_a"]) | set(cq["n_b"]))
    vmax = max(float(np.nanmax(mat)) * 1.05, 2.5 * max(exp_vals), 0.2)
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(1.25 * n + 2.8, 1.05 * n + 1.9), layout="constrained")
    shown = np.where(np.eye(n, dtype=bool), np.nan, mat)
    im = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=vmax)
    for i in range(n):
        for j in range(n):
            if i == j:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color="#dddddd"))
                ax.text(j, i, "same\nquestion", ha="center", va="center", fontsize=8, color="#555555")
                continue
            ax.text(j, i, f"J={mat[i, j]:.2f}\n{style.fmt_p(pval[i, j])}", ha="center", va="center", fontsize=8.5,
                    color=style.text_color(mat[i, j], 0.0, vmax, cmap))
    ax.set_xticks(range(n), [style.question_label(q) for q in qs])
    ax.set_yticks(range(n), [style.question_label(q) for q in qs])
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.set_label("Jaccard index of top-n head sets\n(white line = random expectation)")
    style.mark_expectation(cb, exp_vals[0])
    exp_txt = "/".join(f"{e:.3f}" for e in exp_vals)
    n_total = an.results.n_total(model)
    ax.set_title(f"{style.model_label(an, model)} · {method_label(method)}\nJaccard of top-{'/'.join(map(str, top_ns))} "
                 f"head sets; random expectation J = {exp_txt}\n({n_total} heads; p = hypergeometric "
                 f"P[overlap >= observed]){style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


# ---------------------------------------------------------------------------------------------- layers


def layer_histograms(an: Analysis, model: str, method: str, path: Path, written: list[Path]) -> None:
    """Histograms of the layers of top heads, numerical questions left, categorical right."""
    lay = an.layers[(an.layers["model"] == model) & (an.layers["method"] == method)]
    n_layers = int(an.results.models[model]["n_layers"])
    cols = [t for t in QTYPE_ORDER if t in set(lay["qtype"])]
    per_type = {t: [q for q in an.results.questions() if QUESTIONS[q].qtype == t and q in set(lay["question"])]
                for t in cols}
    nrows = max(len(v) for v in per_type.values())
    fig, axes = plt.subplots(nrows, len(cols), figsize=(4.3 * len(cols), 2.3 * nrows + 1.1), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    bins = np.arange(n_layers + 1) - 0.5
    for j, t in enumerate(cols):
        for i in range(nrows):
            ax = axes[i][j]
            if i >= len(per_type[t]):
                ax.set_axis_off()
                continue
            q = per_type[t][i]
            sub = lay[lay["question"] == q]
            ax.hist(sub["layer"], bins=bins, color=style.QUESTION_COLORS.get(q, "#555555"), alpha=0.85,
                    edgecolor="white", lw=0.4)
            mean_layer = float(sub["layer"].mean())
            ax.axvline(mean_layer, color="black", ls="--", lw=1)
            ax.set_title(f"{t}: {QUESTIONS[q].short} (top-{len(sub)})\nmean layer {mean_layer:.1f}, "
                         f"mean depth {float(sub['depth'].mean()):.2f}")
            ax.grid(axis="y", alpha=0.3, lw=0.5)
            ax.set_xlim(-0.5, n_layers - 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            if j == 0:
                ax.set_ylabel("top heads (count)")
            if i == nrows - 1 or i == len(per_type[t]) - 1:
                ax.set_xlabel(f"layer (0 = first, {n_layers - 1} = last)")
                ax.xaxis.set_tick_params(labelbottom=True)
    fig.legend(handles=[Line2D([], [], color="black", ls="--", label="mean layer of the top heads")],
               loc="outside lower center", frameon=False)
    fig.suptitle(f"{style.model_label(an, model)} · {method_label(method)}: layers of top heads, "
                 f"numerical vs categorical questions{style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


# ---------------------------------------------------------------------------------------- cross-method


def cross_method_figure(an: Analysis, model: str, path: Path, written: list[Path]) -> None:
    """Per question, the methods x methods overlap of top-n sets and the count all methods share."""
    cm = an.cross_method[an.cross_method["model"] == model]
    sh = an.shared[an.shared["model"] == model].set_index("question")
    qs = [q for q in style.questions_by_type(an) if q in set(cm["question"])]
    methods = [m for m in an.results.methods() if m in set(cm["method_a"]) | set(cm["method_b"])]
    n = len(methods)
    cmap = plt.get_cmap("magma_r")
    vmax = max(float(cm["jaccard"].max()) * 1.05, 0.2)
    fig, axes = plt.subplots(1, len(qs), figsize=(3.0 * len(qs) + 1.2, 0.85 * n + 2.0), squeeze=False,
                             layout="constrained")
    im = None
    for j, q in enumerate(qs):
        ax = axes[0][j]
        sub = cm[cm["question"] == q]
        mat, ints, ps = np.full((n, n), np.nan), np.zeros((n, n), int), np.full((n, n), np.nan)
        for r in sub.itertuples():
            a, b = methods.index(r.method_a), methods.index(r.method_b)
            mat[a, b] = mat[b, a] = r.jaccard
            ints[a, b] = ints[b, a] = r.intersection
            ps[a, b] = ps[b, a] = r.p_value
        im = ax.imshow(np.where(np.eye(n, dtype=bool), np.nan, mat), cmap=cmap, vmin=0, vmax=vmax)
        for a in range(n):
            for b in range(n):
                if a == b:
                    ax.add_patch(plt.Rectangle((b - 0.5, a - 0.5), 1, 1, color="#e6e6e6"))
                    n_top = an.results.detections[(model, methods[a], q)]["top_n"]
                    ax.text(b, a, f"top-{n_top}", ha="center", va="center", fontsize=8, color="#555555")
                    continue
                ax.text(b, a, f"{ints[a, b]} shared\nJ={mat[a, b]:.2f}\n{style.fmt_p(ps[a, b])}", ha="center",
                        va="center", fontsize=8, color=style.text_color(mat[a, b], 0, vmax, cmap))
        short = [method_label(m).replace(" retrieval score", "").replace(" ", "\n") for m in methods]
        ax.set_xticks(range(n), short)
        ax.set_yticks(range(n), short if j == 0 else [""] * n)
        title = f"{QUESTIONS[q].short} ({QUESTIONS[q].qtype})"
        if q in sh.index:
            title += f"\nin all {int(sh.loc[q, 'n_methods'])} top sets: {int(sh.loc[q, 'n_shared'])} " \
                     f"(chance {float(sh.loc[q, 'expected_shared']):.1f})"
        ax.set_title(title)
    exp = sorted(set(np.round(cm["expected_jaccard"], 3)))
    if im is not None:
        cb = fig.colorbar(im, ax=axes[0].tolist(), shrink=0.9, label="Jaccard index of top-n sets\n"
                          "(white line = random expectation)")
        style.mark_expectation(cb, exp[0])
    fig.suptitle(f"{style.model_label(an, model)}: do the methods find the same heads?\n"
                 f"random expectation J = {'/'.join(f'{e:.3f}' for e in exp)}; "
                 f"head lists in tables/shared_heads.csv{style.data_tags(an, [model])}")
    style.save_figure(fig, path, False, written)


# ---------------------------------------------------------------------------------------------- models


def _profile_panel(ax, an: Analysis, models: list[str], column: str, ylabel: str, title: str) -> None:
    prof = an.model_profiles
    methods = [m for m in an.results.methods() if m in set(prof["method"])]
    width = 0.8 / len(models)
    for mi, model in enumerate(models):
        color = style.MODEL_COLORS[mi % len(style.MODEL_COLORS)]
        for xi, method in enumerate(methods):
            vals = prof[(prof["model"] == model) & (prof["method"] == method)][column].dropna().to_numpy(float)
            if not len(vals):
                continue
            x = xi - 0.4 + width * (mi + 0.5)
            ax.bar(x, vals.mean(), width=width * 0.9, color=color, alpha=0.35)
            ax.scatter(np.full(len(vals), x), vals, color=color, s=14, zorder=3)
    ax.set_xticks(range(len(methods)), [method_label(m).replace(" retrieval score", "").replace(" ", "\n")
                                        for m in methods])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3, lw=0.5)


def model_comparison_figure(an: Analysis, model_a: str, model_b: str, same_arch: bool, path: Path,
                            written: list[Path]) -> None:
    """Two models: head-id comparison when the architecture matches, distributions always."""
    models = [model_a, model_b]
    ncols = 3
    nrows = 2 if same_arch else 1
    fig = plt.figure(figsize=(13.0, 3.7 * nrows + 1.0), layout="constrained")
    sub = fig.subfigures(nrows, 1, squeeze=False)[:, 0] if nrows > 1 else [fig]
    if same_arch:
        sa = an.model_same_arch[(an.model_same_arch["model_a"] == model_a)
                                & (an.model_same_arch["model_b"] == model_b)]
        methods = [m for m in an.results.methods() if m in set(sa["method"])]
        qs = [q for q in style.questions_by_type(an) if q in set(sa["question"])]
        ax1, ax2 = sub[0].subplots(1, 2)
        jmax = max(float(sa["jaccard"].max()) * 1.05, 2.5 * float(sa["expected_jaccard"].max()), 0.3)
        for ax, col, cmap, vmin, vmax, label in (
                (ax1, "spearman", "RdBu_r", -1.0, 1.0, "Spearman rank correlation of head scores"),
                (ax2, "jaccard", "viridis", 0.0, jmax, "Jaccard of top-n sets")):
            mat = np.full((len(methods), len(qs)), np.nan)
            ps = np.full_like(mat, np.nan)
            for r in sa.itertuples():
                mat[methods.index(r.method), qs.index(r.question)] = getattr(r, col)
                ps[methods.index(r.method), qs.index(r.question)] = r.p_value
            cm = plt.get_cmap(cmap)
            im = ax.imshow(mat, cmap=cm, vmin=vmin, vmax=vmax, aspect="auto")
            for i in range(len(methods)):
                for j in range(len(qs)):
                    txt = f"{mat[i, j]:.2f}" if col == "spearman" else f"J={mat[i, j]:.2f}\n{style.fmt_p(ps[i, j])}"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=8.5,
                            color=style.text_color(mat[i, j], vmin, vmax, cm))
            ax.set_xticks(range(len(qs)), [style.question_label(q, narrow=True) for q in qs])
            ax.set_yticks(range(len(methods)), [method_label(m) for m in methods])
            cb = sub[0].colorbar(im, ax=ax, shrink=0.9)
            exp = sorted(set(np.round(sa["expected_jaccard"], 3)))
            if col == "jaccard":
                style.mark_expectation(cb, exp[0])
            ax.set_title(label if col == "spearman" else f"{label}\n(random expectation "
                         f"{'/'.join(f'{e:.3f}' for e in exp)} = white line)")
        sub[0].suptitle("Same architecture: head ids compared directly")
    axes = sub[-1].subplots(1, ncols)
    _profile_panel(axes[0], an, models, "mean_depth", "mean depth of top heads\n(layer / (n_layers - 1))",
                   "where the top heads sit")
    axes[0].set_ylim(0, 1)
    _profile_panel(axes[1], an, models, "share_top10pct", "share of positive score mass\nin the top 10% of heads",
                   "score concentration")
    axes[1].set_ylim(0, 1)
    kmax = ", ".join(f"{m}: k = {'/'.join(str(k) for k in sorted(set(an.sensitivity.loc[an.sensitivity['model'] == m, 'k_max'])))}"
                     for m in models)
    _profile_panel(axes[2], an, models, "top_drop_pp", "accuracy drop at largest k (pp)",
                   f"sensitivity to top-k ablation\n({kmax})")
    note = ("Distributions (bars = mean over questions, dots = single questions)"
            + ("" if same_arch else "; different architectures, so head ids are not compared"))
    handles = [Patch(color=style.MODEL_COLORS[i], alpha=0.6, label=style.model_label(an, m)
                     + f", {an.results.models[m].get('family')} {an.results.models[m]['n_layers']}x"
                     f"{an.results.models[m]['n_heads']}") for i, m in enumerate(models)]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    if same_arch:
        sub[-1].suptitle(note)
        fig.suptitle(f"Model comparison: {model_a} vs {model_b}{style.data_tags(an, models)}", fontsize=11)
    else:
        fig.suptitle(f"Model comparison: {model_a} vs {model_b}{style.data_tags(an, models)}\n{note}", fontsize=11)
    style.save_figure(fig, path, False, written)


# ----------------------------------------------------------------------------------------------- driver


def make_figures(run_dir: Path, analysis: Analysis | None = None, pdf: bool = True) -> list[Path]:
    """Draw every figure of a run and write its summary tables; return the figure files written."""
    an = analysis if analysis is not None else analyze(Path(run_dir))
    fig_dir = figures_dir(an.run_dir)
    write_tables(an)
    written: list[Path] = []
    res = an.results
    for model in res.model_names():
        sens = an.sensitivity[an.sensitivity["model"] == model]
        for r in sens.itertuples():
            fig8_single(an, model, r.method, r.question, fig8_path(fig_dir, model, r.method, r.question), pdf,
                        written)
        if not sens.empty:
            fig8_grid(an, model, fig8_grid_path(fig_dir, model), pdf, written)
        if (an.top_vs_random_by_k["model"] == model).any():
            top_vs_random_figure(an, model, top_vs_random_path(fig_dir, model), written)
        if not sens.empty:
            sensitivity_curves(an, model, sensitivity_curves_path(fig_dir, model), written)
            sensitivity_bars(an, model, sensitivity_bars_path(fig_dir, model), written)
        cq = an.cross_question[an.cross_question["model"] == model]
        for method in [m for m in res.methods() if m in set(cq["method"])]:
            jaccard_heatmap(an, model, method, jaccard_path(fig_dir, model, method), written)
        lay = an.layers[an.layers["model"] == model]
        for method in [m for m in res.methods() if m in set(lay["method"])]:
            layer_histograms(an, model, method, layers_path(fig_dir, model, method), written)
        if (an.cross_method["model"] == model).any():
            cross_method_figure(an, model, cross_method_path(fig_dir, model), written)
    for pair in an.model_pairs.itertuples():
        model_comparison_figure(an, pair.model_a, pair.model_b, bool(pair.same_arch),
                                model_comparison_path(fig_dir, pair.model_a, pair.model_b), written)
    return written
