"""Where the figures of a run go: one function per figure kind, shared by the drawing and FINDINGS.md."""

from __future__ import annotations

import re
from pathlib import Path


def safe_name(name: str) -> str:
    """A model or method name made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def figures_dir(run_dir: Path) -> Path:
    """Where a run's figures go."""
    return Path(run_dir) / "figures"


def fig8_path(fig_dir: Path, model: str, method: str, question: str) -> Path:
    """Figure-8 replication of one (model, method, question)."""
    return fig_dir / "fig8" / f"{safe_name(model)}__{safe_name(method)}__{question}.png"


def fig8_grid_path(fig_dir: Path, model: str) -> Path:
    """Figure-8 grid of one model."""
    return fig_dir / "fig8" / f"{safe_name(model)}__grid.png"


def jaccard_path(fig_dir: Path, model: str, method: str) -> Path:
    """Cross-question Jaccard heatmap of one (model, method)."""
    return fig_dir / "cross_question" / f"{safe_name(model)}__{safe_name(method)}.png"


def layers_path(fig_dir: Path, model: str, method: str) -> Path:
    """Layer histograms of one (model, method)."""
    return fig_dir / "layers" / f"{safe_name(model)}__{safe_name(method)}.png"


def sensitivity_curves_path(fig_dir: Path, model: str) -> Path:
    """Accuracy drop vs k grouped by question type, one model."""
    return fig_dir / "sensitivity" / f"{safe_name(model)}__curves.png"


def sensitivity_bars_path(fig_dir: Path, model: str) -> Path:
    """Accuracy drop at the largest k, one model."""
    return fig_dir / "sensitivity" / f"{safe_name(model)}__at_kmax.png"


def cross_method_path(fig_dir: Path, model: str) -> Path:
    """Cross-method overlap matrices of one model."""
    return fig_dir / "cross_method" / f"{safe_name(model)}.png"


def model_comparison_path(fig_dir: Path, model_a: str, model_b: str) -> Path:
    """Comparison of two models."""
    return fig_dir / "models" / f"{safe_name(model_a)}__vs__{safe_name(model_b)}.png"


def top_vs_random_path(fig_dir: Path, model: str) -> Path:
    """Paired difference top-k minus random-k at every k, one model (rows methods, columns questions)."""
    return fig_dir / "top_vs_random" / f"{safe_name(model)}.png"
