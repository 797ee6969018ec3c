"""What every figure of a run shares: the Agg backend, sizes and colours, title tags, the atomic save, and
small drawing helpers (harness/analysis/figures.py and figures_curves.py draw the figures)."""

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

from adapters.questions import QUESTIONS  # noqa: E402
from harness.analysis.format import mask_semantics, share_of_heads  # noqa: E402
from harness.analysis.loading import model_kind  # noqa: E402
from harness.analysis.tables import QTYPE_ORDER, Analysis  # noqa: E402
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


def figure_bytes(fig: plt.Figure, fmt: str) -> bytes:
    """The figure rendered as ``fmt`` ('png' / 'pdf')."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def save_figure(fig: plt.Figure, path: Path, pdf: bool, written: list[Path]) -> None:
    """Write ``fig`` as PNG at ``path`` (and as PDF beside it when ``pdf``) atomically, then close it."""
    atomic_write_bytes(path, figure_bytes(fig, "png"))
    written.append(path)
    if pdf:
        written.append(atomic_write_bytes(path.with_suffix(".pdf"), figure_bytes(fig, "pdf")))
    plt.close(fig)


def model_mask_semantics(an: Analysis, model: str) -> str:
    """The head-mask wording of a model's ablation units."""
    sub = an.sensitivity[an.sensitivity["model"] == model]
    return mask_semantics(list(sub["mask_mode"]), list(sub["mask_scope"]))


def text_color(value: float, vmin: float, vmax: float, cmap) -> str:
    """Black or white, whichever reads on the colour ``cmap`` gives ``value``."""
    r, g, b, _ = cmap((value - vmin) / (vmax - vmin) if vmax > vmin else 0.0)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def fmt_p(p: float) -> str:
    """A p-value in a figure cell: 'p=0.042', 'p<1e-4'."""
    if not np.isfinite(p):
        return "p=n/a"
    return f"p={p:.2g}" if p >= 1e-3 else f"p<{10 ** math.ceil(math.log10(max(p, 1e-300))):.0e}".replace("e-0", "e-")


def mark_expectation(cb, value: float) -> None:
    """A white line with a black outline on a colour bar, visible on any colour map."""
    cb.ax.axhline(value, color="white", lw=1.6, path_effects=[pe.Stroke(linewidth=3.2, foreground="black"), pe.Normal()])


def questions_by_type(an: Analysis) -> list[str]:
    """The run's questions, numerical first, so same-type questions sit next to each other."""
    return [q for t in QTYPE_ORDER for q in an.results.questions() if QUESTIONS[q].qtype == t]


def question_label(q: str, narrow: bool = False) -> str:
    """A question's axis label with its type (words on separate lines when ``narrow``)."""
    short = QUESTIONS[q].short.replace(" ", "\n") if narrow else QUESTIONS[q].short
    return f"{short}\n({QUESTIONS[q].qtype})"


def k_tick_labels(ks: Sequence[int], n_total: int) -> list[str]:
    """Tick labels of a k axis: the number of heads over its share of the model's heads ('3\n1.1%')."""
    return [f"{int(k)}\n{share_of_heads(100 * k / n_total)}" if k else "0" for k in ks]


def k_axis_label(short: bool = False) -> str:
    """The k axis: heads and their share of the model's heads."""
    return "heads ablated, k\n(share of heads)" if short else "number of heads ablated, k (and share of heads)"
