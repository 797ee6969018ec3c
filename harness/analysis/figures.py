"""Figures of a run (matplotlib, Agg backend), drawn from the tables of harness/analysis/tables.py.

``make_figures(run_dir)`` writes under ``<run>/figures/``:

- ``fig8/<model>__<method>__<question>.png|.pdf``: accuracy vs number of heads ablated (Wu et al. 2024,
  Figure 8 style): top-k solid with its 95% bootstrap band, random-k dashed with its min-max band over seeds;
- ``fig8/<model>__grid.png|.pdf``: the same, rows = methods, columns = questions;
- ``cross_question/<model>__<method>.png``: annotated Jaccard heatmap of the top-n sets of the questions;
- ``layers/<model>__<method>.png``: layer histograms of top heads, numerical vs categorical side by side;
- ``sensitivity/<model>__curves.png`` and ``sensitivity/<model>__at_kmax.png``: accuracy drop vs k grouped
  by question type, and the drop at the largest k with its interval;
- ``cross_method/<model>.png``: 3 x 3 method overlap per question with the heads all methods share;
- ``models/<a>__vs__<b>.png``: model comparison (head ids only for the same architecture);
- ``tables/*.csv``: the summary tables (harness.analysis.tables.write_tables).

Titles carry model, method, question, n and mask semantics, and say "synthetic data" / "random-weight model"
where the run manifest / model_info say so.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from adapters.questions import QUESTIONS  # noqa: E402
from harness.analysis.figure_paths import (  # noqa: E402
    cross_method_path,
    fig8_grid_path,
    fig8_path,
    figures_dir,
    jaccard_path,
    layers_path,
    model_comparison_path,
    sensitivity_bars_path,
    sensitivity_curves_path,
)
from harness.analysis.format import mask_semantics  # noqa: E402
from harness.analysis.loading import model_kind  # noqa: E402
from harness.analysis.tables import QTYPE_ORDER, Analysis, analyze, write_tables  # noqa: E402
from harness.methods.registry import method_label  # noqa: E402
from harness.store.atomic import atomic_write_bytes  # noqa: E402

DPI = 150
QUESTION_COLORS = {"inc_year": "#1f4e9c", "employees": "#2ca3c9", "inc_state": "#c0392b", "hq_state": "#e67e22"}
QTYPE_COLORS = {"numerical": "#1f4e9c", "categorical": "#c0392b"}
TOP_COLOR, RANDOM_COLOR = "#b2182b", "#4d4d4d"
MODEL_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")

plt.rcParams.update({
    "font.size": 9, "axes.titlesize": 9.5, "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5, "figure.titlesize": 10.5, "savefig.dpi": DPI, "figure.dpi": DPI,
})


# ------------------------------------------------------------------------------------------------ helpers


def data_tags(an: Analysis, models: Sequence[str]) -> str:
    """' [synthetic data]' / ' [random-weight model]' suffix for titles, empty for real data and weights."""
    tags = []
    if an.results.synthetic:
        tags.append("synthetic data")
    if any(an.results.models[m].get("random_weights") for m in models):
        tags.append("random-weight model")
    return f" [{', '.join(tags)}]" if tags else ""


def model_label(an: Analysis, model: str) -> str:
    """'name (instruct)' / 'name (base)'."""
    return f"{model} ({model_kind(an.results.models[model])})"


def _figure_bytes(fig: plt.Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def save_figure(fig: plt.Figure, path: Path, pdf: bool, written: list[Path]) -> None:
    """Write ``fig`` as PNG at ``path`` (and as PDF beside it when ``pdf``) atomically, then close it."""
    atomic_write_bytes(path, _figure_bytes(fig, "png"))
    written.append(path)
    if pdf:
        written.append(atomic_write_bytes(path.with_suffix(".pdf"), _figure_bytes(fig, "pdf")))
    plt.close(fig)


def _model_mask_semantics(an: Analysis, model: str) -> str:
    sub = an.sensitivity[an.sensitivity["model"] == model]
    return mask_semantics(list(sub["mask_mode"]), list(sub["mask_scope"]))


def _text_color(value: float, vmin: float, vmax: float, cmap) -> str:
    r, g, b, _ = cmap((value - vmin) / (vmax - vmin) if vmax > vmin else 0.0)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p=n/a"
    return f"p={p:.2g}" if p >= 1e-3 else f"p<{10 ** math.ceil(math.log10(max(p, 1e-300))):.0e}".replace("e-0", "e-")


def _mark_expectation(cb, value: float) -> None:
    """A white line with a black outline on a colour bar, visible on any colour map."""
    cb.ax.axhline(value, color="white", lw=1.6, path_effects=[pe.Stroke(linewidth=3.2, foreground="black"), pe.Normal()])


def _by_type(an: Analysis) -> list[str]:
    """The run's questions, numerical first, so same-type questions sit next to each other."""
    return [q for t in QTYPE_ORDER for q in an.results.questions() if QUESTIONS[q].qtype == t]


def _qlabel(q: str, narrow: bool = False) -> str:
    short = QUESTIONS[q].short.replace(" ", "\n") if narrow else QUESTIONS[q].short
    return f"{short}\n({QUESTIONS[q].qtype})"


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
    return {"k": top["k"].to_numpy(), "acc": 100 * top["accuracy"].to_numpy(),
            "lo": 100 * top["ci_low"].to_numpy(), "hi": 100 * top["ci_high"].to_numpy(),
            "rk": np.array(rk), "rmean": 100 * np.array(rmean), "rmin": 100 * np.array(rmin),
            "rmax": 100 * np.array(rmax), "n_seeds": int(rs["n_seeds"].max()) if len(rs) else 0,
            "n_test": int(row["n_test"]), "mode": row["mask_mode"], "scope": row["mask_scope"]}


def _draw_fig8(ax, d: dict, method: str) -> list:
    handles = []
    handles.append(ax.fill_between(d["k"], d["lo"], d["hi"], color=TOP_COLOR, alpha=0.18, lw=0,
                                   label="top-k: 95% bootstrap CI"))
    handles.append(ax.plot(d["k"], d["acc"], "-o", color=TOP_COLOR, ms=4, lw=1.8,
                           label=f"top-k heads ({method_label(method)})")[0])
    if len(d["rk"]):
        handles.append(ax.fill_between(d["rk"], d["rmin"], d["rmax"], color=RANDOM_COLOR, alpha=0.15, lw=0,
                                       label=f"random-k: min-max over {d['n_seeds']} seeds"))
        handles.append(ax.plot(d["rk"], d["rmean"], "--s", color=RANDOM_COLOR, ms=3.5, lw=1.5,
                               label=f"random-k heads: mean of {d['n_seeds']} seeds")[0])
    ax.set_ylim(-3, 103)
    ax.set_xticks(d["k"])
    ax.grid(alpha=0.3, lw=0.5)
    return handles


def fig8_single(an: Analysis, model: str, method: str, q: str, path: Path, pdf: bool, written: list[Path]) -> None:
    """One Figure-8 replication."""
    d = _curve_data(an, model, method, q)
    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    handles = _draw_fig8(ax, d, method)
    ax.set_xlabel("number of heads ablated, k (heads)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"{model_label(an, model)} · {method_label(method)} · {QUESTIONS[q].short}\n"
                 f"n_test = {d['n_test']}{data_tags(an, [model])}\n{mask_semantics([d['mode']], [d['scope']])}")
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    save_figure(fig, path, pdf, written)


def fig8_grid(an: Analysis, model: str, path: Path, pdf: bool, written: list[Path]) -> None:
    """Figure-8 grid of one model: rows = methods, columns = questions."""
    sens = an.sensitivity[an.sensitivity["model"] == model]
    methods = [m for m in an.results.methods() if m in set(sens["method"])]
    qs = [q for q in _by_type(an) if q in set(sens["question"])]
    fig, axes = plt.subplots(len(methods), len(qs), figsize=(2.9 * len(qs) + 0.6, 2.4 * len(methods) + 1.0),
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
            ax.set_title(f"{method_label(method)} · {QUESTIONS[q].short}")
            if i == len(methods) - 1:
                ax.set_xlabel("heads ablated, k")
            if j == 0:
                ax.set_ylabel("accuracy (%)")
    legend = [Line2D([], [], color=TOP_COLOR, marker="o", ms=4, label="top-k heads of the row's method"),
              Patch(color=TOP_COLOR, alpha=0.18, label="top-k 95% bootstrap CI"),
              Line2D([], [], color=RANDOM_COLOR, ls="--", marker="s", ms=3.5, label="random-k mean over seeds"),
              Patch(color=RANDOM_COLOR, alpha=0.15, label="random-k min-max over seeds")]
    fig.legend(handles=legend, loc="outside lower center", ncols=4, frameon=False)
    n_txt = "/".join(str(n) for n in sorted(n_tests))
    fig.suptitle(f"{model_label(an, model)}: accuracy vs number of heads ablated\n"
                 f"n_test = {n_txt}, {_model_mask_semantics(an, model)}{data_tags(an, [model])}")
    save_figure(fig, path, pdf, written)


# ------------------------------------------------------------------------------------- cross-question


def jaccard_heatmap(an: Analysis, model: str, method: str, path: Path, written: list[Path]) -> None:
    """Annotated 4 x 4 Jaccard heatmap of top-n sets with the random expectation in the title."""
    cq = an.cross_question
    cq = cq[(cq["model"] == model) & (cq["method"] == method)]
    qs = [q for q in _by_type(an) if q in set(cq["question_a"]) | set(cq["question_b"])]
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
            ax.text(j, i, f"J={mat[i, j]:.2f}\n{_fmt_p(pval[i, j])}", ha="center", va="center", fontsize=8.5,
                    color=_text_color(mat[i, j], 0.0, vmax, cmap))
    ax.set_xticks(range(n), [_qlabel(q) for q in qs])
    ax.set_yticks(range(n), [_qlabel(q) for q in qs])
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.set_label("Jaccard index of top-n head sets\n(white line = random expectation)")
    _mark_expectation(cb, exp_vals[0])
    exp_txt = "/".join(f"{e:.3f}" for e in exp_vals)
    n_total = an.results.n_total(model)
    ax.set_title(f"{model_label(an, model)} · {method_label(method)}\nJaccard of top-{'/'.join(map(str, top_ns))} "
                 f"head sets; random expectation J = {exp_txt}\n({n_total} heads; p = hypergeometric "
                 f"P[overlap >= observed]){data_tags(an, [model])}")
    save_figure(fig, path, False, written)


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
            ax.hist(sub["layer"], bins=bins, color=QUESTION_COLORS.get(q, "#555555"), alpha=0.85,
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
    fig.suptitle(f"{model_label(an, model)} · {method_label(method)}: layers of top heads, "
                 f"numerical vs categorical questions{data_tags(an, [model])}")
    save_figure(fig, path, False, written)


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
                color = QUESTION_COLORS.get(q, "#555555")
                ax.plot(c["k"], c["top_drop_pp"], "-o", color=color, ms=3.5, lw=1.6)
                ok = c["random_drop_mean_pp"].notna()
                ax.plot(c["k"][ok], c["random_drop_mean_pp"][ok], "--", color=color, lw=1.2, alpha=0.9)
                if q not in qs_seen:
                    qs_seen.append(q)
            ax.axhline(0, color="#888888", lw=0.8)
            ax.grid(alpha=0.3, lw=0.5)
            ax.set_title(f"{method_label(method)} · {t} questions")
            if j == 0:
                ax.set_ylabel("accuracy drop\nfrom k=0 (pp)")
            if i == len(methods) - 1:
                ax.set_xlabel("number of heads ablated, k")
    handles = [Line2D([], [], color=QUESTION_COLORS.get(q, "#555"), lw=2, label=QUESTIONS[q].short) for q in qs_seen]
    handles += [Line2D([], [], color="black", ls="-", marker="o", ms=3.5, label="top-k heads"),
                Line2D([], [], color="black", ls="--", label="random-k heads (mean over seeds)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle(f"{model_label(an, model)}: sensitivity to ablation by question type\n"
                 f"{_model_mask_semantics(an, model)}{data_tags(an, [model])}")
    save_figure(fig, path, False, written)


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
            ax.bar(xi - 0.18, r["top_drop_pp"], width=0.36, color=QTYPE_COLORS[QUESTIONS[q].qtype], alpha=0.85)
            ax.errorbar(xi - 0.18, r["top_drop_pp"],
                        yerr=error_bar_lengths(r["top_drop_pp"], r["top_drop_ci_low_pp"], r["top_drop_ci_high_pp"]),
                        color="black", capsize=3, lw=1)
            if np.isfinite(r["random_drop_mean_pp"]):
                ax.errorbar(xi + 0.18, r["random_drop_mean_pp"],
                            yerr=error_bar_lengths(r["random_drop_mean_pp"], r["random_drop_min_pp"], r["random_drop_max_pp"]),
                            fmt="s", color=RANDOM_COLOR, capsize=3, ms=4, lw=1)
        ax.axhline(0, color="#888888", lw=0.8)
        ax.set_xticks(x, [QUESTIONS[q].short.replace(" ", "\n", 1) for q in qs])
        ks = "/".join(str(k) for k in sorted(set(sub["k_max"])))
        ax.set_title(f"{method_label(method)} (k = {ks})")
        ax.grid(axis="y", alpha=0.3, lw=0.5)
        if j == 0:
            ax.set_ylabel("accuracy drop at largest k (pp)")
    handles = [Patch(color=QTYPE_COLORS[t], alpha=0.85, label=f"top-k, {t} question") for t in QTYPE_ORDER]
    handles += [Line2D([], [], color="black", marker="|", ls="", ms=10,
                       label="top-k approx. 95% CI (endpoint CIs combined)"),
                Line2D([], [], color=RANDOM_COLOR, marker="s", ls="", ms=4,
                       label="random-k: mean, bar = min-max over seeds")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    n_txt = "/".join(str(n) for n in sorted(set(sens["n_test"])))
    fig.suptitle(f"{model_label(an, model)}: accuracy drop at the largest k, n_test = {n_txt}\n"
                 f"{_model_mask_semantics(an, model)}{data_tags(an, [model])}")
    save_figure(fig, path, False, written)


# ---------------------------------------------------------------------------------------- cross-method


def cross_method_figure(an: Analysis, model: str, path: Path, written: list[Path]) -> None:
    """Per question, the methods x methods overlap of top-n sets and the count all methods share."""
    cm = an.cross_method[an.cross_method["model"] == model]
    sh = an.shared[an.shared["model"] == model].set_index("question")
    qs = [q for q in _by_type(an) if q in set(cm["question"])]
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
                ax.text(b, a, f"{ints[a, b]} shared\nJ={mat[a, b]:.2f}\n{_fmt_p(ps[a, b])}", ha="center",
                        va="center", fontsize=8, color=_text_color(mat[a, b], 0, vmax, cmap))
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
        _mark_expectation(cb, exp[0])
    fig.suptitle(f"{model_label(an, model)}: do the methods find the same heads?\n"
                 f"random expectation J = {'/'.join(f'{e:.3f}' for e in exp)}; "
                 f"head lists in tables/shared_heads.csv{data_tags(an, [model])}")
    save_figure(fig, path, False, written)


# ---------------------------------------------------------------------------------------------- models


def _profile_panel(ax, an: Analysis, models: list[str], column: str, ylabel: str, title: str) -> None:
    prof = an.model_profiles
    methods = [m for m in an.results.methods() if m in set(prof["method"])]
    width = 0.8 / len(models)
    for mi, model in enumerate(models):
        color = MODEL_COLORS[mi % len(MODEL_COLORS)]
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
        qs = [q for q in _by_type(an) if q in set(sa["question"])]
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
                    txt = f"{mat[i, j]:.2f}" if col == "spearman" else f"J={mat[i, j]:.2f}\n{_fmt_p(ps[i, j])}"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=8.5,
                            color=_text_color(mat[i, j], vmin, vmax, cm))
            ax.set_xticks(range(len(qs)), [_qlabel(q, narrow=True) for q in qs])
            ax.set_yticks(range(len(methods)), [method_label(m) for m in methods])
            cb = sub[0].colorbar(im, ax=ax, shrink=0.9)
            exp = sorted(set(np.round(sa["expected_jaccard"], 3)))
            if col == "jaccard":
                _mark_expectation(cb, exp[0])
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
    handles = [Patch(color=MODEL_COLORS[i], alpha=0.6, label=model_label(an, m)
                     + f", {an.results.models[m].get('family')} {an.results.models[m]['n_layers']}x"
                     f"{an.results.models[m]['n_heads']}") for i, m in enumerate(models)]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    if same_arch:
        sub[-1].suptitle(note)
        fig.suptitle(f"Model comparison: {model_a} vs {model_b}{data_tags(an, models)}", fontsize=11)
    else:
        fig.suptitle(f"Model comparison: {model_a} vs {model_b}{data_tags(an, models)}\n{note}", fontsize=11)
    save_figure(fig, path, False, written)


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
