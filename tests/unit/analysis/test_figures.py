"""Tests of harness/analysis/figures.py on FAKE result files: every expected figure is written (at the paths of
harness/analysis/figure_paths.py), is a real PNG, carries its labels (synthetic data, random-weight model) and
uses fonts of at least 8 pt."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.text as mtext
import pytest

from harness.analysis import figure_paths as P
from harness.analysis import figure_style as S
from harness.analysis import figures as F
from harness.analysis import figures_curves as C
from harness.analysis.tables import analyze, tables_dir
from tests.helpers.fake_results import GEMMA_BASE, LLAMA_INSTRUCT, FakeModel, write_fake_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _capture(monkeypatch) -> dict[Path, list[tuple[str, float]]]:
    """Record (text, font size) of every visible text artist of each figure just before it is saved."""
    seen: dict[Path, list[tuple[str, float]]] = {}
    original = S.save_figure

    def spy(fig, path, pdf, written):
        texts = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(mtext.Text)
                 if t.get_visible() and t.get_text().strip()]
        seen[path] = texts
        original(fig, path, pdf, written)

    monkeypatch.setattr(S, "save_figure", spy)
    return seen


def _expected_pngs(n_models: int, n_methods: int, n_questions: int, n_pairs: int) -> int:
    per_model = (n_methods * n_questions  # fig8 singles
                 + 1 + 1 + 2  # fig8 grid, top minus random, sensitivity curves + bars
                 + n_methods * 2  # Jaccard heatmap + layer histogram per method
                 + (1 if n_methods > 1 else 0))  # cross-method overlap
    return n_models * per_model + n_pairs


TINY_A = FakeModel("tiny-llama-instruct", "llama", 6, 4, 2, True, 8, (0, 4, 8))
TINY_A_BASE = FakeModel("tiny-llama-base", "llama", 6, 4, 2, False, 8, (0, 4, 8))
TINY_B = FakeModel("tiny-other-base", "gemma3_text", 4, 2, 1, False, 4, (0, 2, 4))


def _check_pngs(pngs: list[Path]) -> None:
    for p in pngs:
        data = p.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 10_000, p
        img = mpimg.imread(p)
        assert img.shape[0] > 300 and img.shape[1] > 500, p  # dpi 150: a few inches wide


def test_make_figures_writes_every_figure(tmp_path: Path, monkeypatch) -> None:
    run = write_fake_run(tmp_path, models=(TINY_A,), methods=("summed_context", "qrhead"),
                         questions=("inc_year", "hq_state"))
    seen = _capture(monkeypatch)
    written = F.make_figures(run, pdf=False)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == len(set(pngs)) == _expected_pngs(1, 2, 2, 0)
    assert sorted(pngs) == sorted((run / "figures").glob("**/*.png"))
    fd = P.figures_dir(run)
    m = TINY_A.name
    for p in (P.fig8_path(fd, m, "qrhead", "hq_state"), P.fig8_grid_path(fd, m),
              P.jaccard_path(fd, m, "summed_context"), P.layers_path(fd, m, "qrhead"), P.top_vs_random_path(fd, m),
              P.sensitivity_curves_path(fd, m), P.sensitivity_bars_path(fd, m), P.cross_method_path(fd, m)):
        assert p in pngs
    _check_pngs(pngs)
    assert (tables_dir(run) / "sensitivity.csv").exists()
    assert (tables_dir(run) / "top_vs_random_by_k.csv").exists() and (tables_dir(run) / "top_vs_random_curves.csv").exists()
    # synthetic data is said in every figure; all text is at least 8 pt
    assert set(seen) == set(pngs)
    for path, texts in seen.items():
        joined = " ".join(t for t, _ in texts)
        assert "synthetic data" in joined, path
        small = [(t, s) for t, s in texts if s < 8]
        assert not small, (path, small)


def test_model_comparison_figures(tmp_path: Path, monkeypatch) -> None:
    run = write_fake_run(tmp_path, models=(TINY_A, TINY_A_BASE, TINY_B), methods=("qrhead",),
                         questions=("inc_year", "hq_state"))
    an = analyze(run)
    seen = _capture(monkeypatch)
    fd = P.figures_dir(run)
    written: list[Path] = []
    for p in an.model_pairs.itertuples():
        F.model_comparison_figure(an, p.model_a, p.model_b, bool(p.same_arch),
                                  P.model_comparison_path(fd, p.model_a, p.model_b), written)
    assert len(written) == 3
    _check_pngs(written)
    same = " ".join(t for t, _ in seen[P.model_comparison_path(fd, TINY_A.name, TINY_A_BASE.name)])
    assert "Same architecture: head ids compared directly" in same and "Spearman" in same
    other = " ".join(t for t, _ in seen[P.model_comparison_path(fd, TINY_A.name, TINY_B.name)])
    assert "head ids are not compared" in other and "Spearman" not in other
    assert "mean depth of top heads" in other and "synthetic data" in other


def test_fig8_title_names_model_method_question_n_and_mask(tmp_path: Path, monkeypatch) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("employees",), n_test=33,
                         synthetic=False)
    an = analyze(run)
    seen = _capture(monkeypatch)
    path = P.fig8_path(P.figures_dir(run), "fake-gemma-base", "wu24", "employees")
    written: list[Path] = []
    C.fig8_single(an, "fake-gemma-base", "wu24", "employees", path, True, written)
    assert written == [path, path.with_suffix(".pdf")] and path.with_suffix(".pdf").stat().st_size > 0
    joined = " ".join(t for t, _ in seen[path])
    for needle in ("fake-gemma-base (base)", "Wu24 retrieval score", "employee count", "n_test = 33",
                   "mask uniform (head's query zeroed)", "scope decode (prompt prefill unmasked)",
                   "accuracy (%)", "number of heads ablated", "share of heads", "95% bootstrap CI",
                   "min-max over 5 seeds"):
        assert needle in joined, needle
    assert "synthetic data" not in joined  # real data: no synthetic label
    ticks = [t for t, _ in seen[path] if "\n" in t and t.endswith("%")]
    assert ticks == [f"{k}\n{100 * k / 72:.1f}%" for k in GEMMA_BASE.k_grid[1:]]  # k in heads and % of heads


def test_top_vs_random_figure_marks_the_ks_beyond_chance(tmp_path: Path, monkeypatch) -> None:
    run = write_fake_run(tmp_path, models=(LLAMA_INSTRUCT,), methods=("wu24", "qrhead"), questions=("inc_year",),
                         synthetic=False)
    an = analyze(run)
    seen = _capture(monkeypatch)
    path = P.top_vs_random_path(P.figures_dir(run), LLAMA_INSTRUCT.name)
    written: list[Path] = []
    C.top_vs_random_figure(an, LLAMA_INSTRUCT.name, path, written)
    assert written == [path]
    _check_pngs(written)
    joined = " ".join(t for t, _ in seen[path])
    thr = an.top_vs_random_by_k["p_threshold"].iloc[0]
    assert "paired over the test samples" in joined and f"p < {thr:.2g}" in joined and "18.5%" in joined


def test_random_weight_model_is_labelled(tmp_path: Path, monkeypatch) -> None:
    rw = FakeModel("fake-random", "llama", 6, 4, 2, True, 10, (0, 5, 10), random_weights=True)
    run = write_fake_run(tmp_path, models=(rw,), methods=("qrhead",), questions=("inc_state", "inc_year"),
                         synthetic=False)
    seen = _capture(monkeypatch)
    written = F.make_figures(run, pdf=False)
    assert len(written) == _expected_pngs(1, 1, 2, 0)
    for path, texts in seen.items():
        assert "random-weight model" in " ".join(t for t, _ in texts), path


def test_jaccard_heatmap_annotates_observed_values(tmp_path: Path, monkeypatch) -> None:
    run = write_fake_run(tmp_path, models=(LLAMA_INSTRUCT,), methods=("summed_evidence",),
                         questions=("inc_state", "inc_year", "employees"))
    an = analyze(run)
    seen = _capture(monkeypatch)
    path = P.jaccard_path(P.figures_dir(run), "fake-llama-instruct", "summed_evidence")
    F.jaccard_heatmap(an, "fake-llama-instruct", "summed_evidence", path, [])
    joined = " ".join(t for t, _ in seen[path])
    for r in an.cross_question.itertuples():
        assert f"J={r.jaccard:.2f}" in joined
    assert f"random expectation J = {an.cross_question['expected_jaccard'].iloc[0]:.3f}" in joined


@pytest.mark.slow
def test_full_fake_run_with_pdfs(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path)
    written = F.make_figures(run)
    pngs = [p for p in written if p.suffix == ".png"]
    assert len(pngs) == _expected_pngs(2, 4, 4, 1)
    _check_pngs(pngs)
    pdfs = [p for p in written if p.suffix == ".pdf"]
    assert len(pdfs) == 2 * (4 * 4 + 1)  # Figure-8 singles and grids
    from harness.cli import main as cli_main

    small = write_fake_run(tmp_path / "small", models=(LLAMA_INSTRUCT,), methods=("qrhead",),
                           questions=("inc_state", "employees"))
    assert cli_main(["figures", "--run", str(small), "--no-pdf"]) == 0
    assert list(small.rglob("*.png")) and not list(small.rglob("*.pdf"))


def test_error_bars_never_negative():
    """A mean a rounding error past its min/max (identical seeds) must not crash matplotlib."""
    low, high = C.error_bar_lengths(33.333333333333336, 33.33333333333337, 33.33333333333337)
    assert low == [0.0] and high[0] >= 0.0
    assert C.error_bar_lengths(10.0, 4.0, 12.5) == [[6.0], [2.5]]
