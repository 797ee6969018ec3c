"""Tests of the upstream golden diff (harness/checks/golden.py): every model-free golden check passes, and
the machinery reports failures."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.checks import golden as ud
from harness.cli import main as cli_main

GOLDEN = ud.golden_dir()
needs_golden = pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"golden directory {GOLDEN} not present")
PURE_CHECKS = ["A_wu24", "A_qrhead", "B_wu24", "D_qrhead"]


@needs_golden
@pytest.mark.parametrize("name", PURE_CHECKS)
def test_golden_check_passes(name):
    rows = ud.run_checks([name])
    assert len(rows) >= 5
    failed = [r for r in rows if not r.passed]
    assert not failed, ud.format_table(failed)


@needs_golden
def test_expected_rows_are_present():
    rows = ud.run_checks(["A_wu24", "D_qrhead"])
    cases = {r.case for r in rows}
    assert sum(c.startswith("A_wu24/find_needle_idx/") for c in cases) == 12
    quantities = {(r.case, r.quantity) for r in rows}
    assert ("D_qrhead/smol/q1", "per_doc fragile cells") in quantities
    assert ("D_qrhead/smol/ranking from recomputed per_doc", "ranking order") in quantities


@needs_golden
def test_a_mutated_golden_fails(tmp_path, monkeypatch):
    for name in ("A_wu24_pure.json",):
        shutil.copy(GOLDEN / name, tmp_path / name)
    data = json.loads((tmp_path / "A_wu24_pure.json").read_text())
    data["find_needle_idx"][0]["result"] = [21, 26]
    data["rouge_gate"][3]["passes"] = not data["rouge_gate"][3]["passes"]
    (tmp_path / "A_wu24_pure.json").write_text(json.dumps(data))
    monkeypatch.setenv(ud.GOLDEN_ENV, str(tmp_path))
    assert ud.golden_dir() == tmp_path
    rows = ud.run_checks(["A_wu24"])
    failed = {(r.case, r.quantity) for r in rows if not r.passed}
    assert failed == {("A_wu24/find_needle_idx/exact_5_unique", "span"), ("A_wu24/rouge_gate[20 pairs]", "passes")}
    assert cli_main(["diff-upstream", "--check", "A_wu24"]) == 1


def test_missing_golden_gives_a_failed_row_and_exit_codes(tmp_path, capsys):
    rows = ud.run_checks(["B_wu24"], golden=tmp_path)
    assert len(rows) == 1 and not rows[0].passed and "FileNotFoundError" in rows[0].note
    assert cli_main(["diff-upstream", "--golden", str(tmp_path / "absent")]) == 2
    assert cli_main(["diff-upstream", "--golden", str(tmp_path), "--check", "no_such_check"]) == 2
    assert "no_such_check" in capsys.readouterr().err


def test_register_and_table():
    def fake(golden: Path) -> list[ud.Row]:
        return [ud.close_row("fake/case", "values", [1.0, 2.0], [1.0, 2.5], atol=0.1)]

    ud.register("test_fake_check", fake)
    try:
        with pytest.raises(ValueError, match="already registered"):
            ud.register("test_fake_check", lambda golden: [])
        rows = ud.run_checks(["test_fake_check"])
        assert rows == [ud.Row("fake/case", "values", 0.5, "abs 0.1", False, "", 5.0)]
        table = ud.format_table(rows)
        assert "fake/case" in table and "FAIL" in table and "1 failed" in table and "margin" in table
        assert "test_fake_check" in ud.registered()
    finally:
        ud._REGISTRY.pop("test_fake_check")


def test_close_row_tolerances_and_skips():
    want = np.array([1.0, 100.0, 5.0])
    got = np.array([1.0 + 2e-4, 100.005, 9.0])  # 100.005 passes through the relative part
    row = ud.close_row("c", "q", got, want, atol=1e-5, rtol=1e-4, skip=np.array([False, False, True]))
    assert not row.passed and row.max_abs_diff == pytest.approx(5e-3)  # 2e-4 > 1e-5 + 1e-4 * 1
    got[0] = 1.0 + 1e-4
    assert ud.close_row("c", "q", got, want, atol=1e-5, rtol=1e-4, skip=np.array([False, False, True])).passed
    assert not ud.close_row("c", "q", got, want, atol=1e-5, rtol=1e-4).passed
    bad = ud.close_row("c", "q", [1.0], [1.0, 2.0], atol=1.0)
    assert not bad.passed and math.isinf(bad.max_abs_diff)
    assert not ud.close_row("c", "q", [math.nan], [1.0], atol=1.0).passed


def test_exact_row_and_ranking_rows():
    assert ud.exact_row("c", "q", [1, 2, (3, 4)], [1, 2, [3, 4]]).passed
    row = ud.exact_row("c", "q", ["a", "b", "c"], ["a", "x", "y", "z"])
    assert not row.passed and row.max_abs_diff == 3.0
    assert not ud.exact_row("c", "q", True, 1).passed
    want = [("a", 0.5), ("b", 0.4999999), ("c", 0.1)]
    swapped = [("b", 0.4999999), ("a", 0.5), ("c", 0.1)]
    assert all(r.passed for r in ud.ranking_rows("c", swapped, want, atol=1e-5, order_gap=1e-5))
    strict = ud.ranking_rows("c", swapped, want, atol=1e-5, order_gap=None)
    assert [r.passed for r in strict] == [True, False]
    wrong = [("c", 0.1), ("a", 0.5), ("b", 0.4999999)]
    assert not all(r.passed for r in ud.ranking_rows("c", wrong, want, atol=1e-5, order_gap=1e-5))


def test_margins():
    row = ud.close_row("c", "q", [1.0, 2.0], [1.0, 2.03], atol=0.1)
    assert row.passed and row.margin == pytest.approx(0.3)
    rel = ud.close_row("c", "q", [100.01], [100.0], atol=0.0, rtol=1e-3)
    assert rel.passed and rel.margin == pytest.approx(0.1)
    assert ud.exact_row("c", "q", [1], [1]).margin == 0 and math.isinf(ud.exact_row("c", "q", [1], [2]).margin)
    assert ud.abs_row("c", "q", 2e-5, 1e-5).margin == pytest.approx(2.0) and not ud.abs_row("c", "q", 2e-5, 1e-5).passed
    rows = [ud.abs_row("a", "q", 1e-6, 1e-5), ud.abs_row("b", "q", 9e-6, 1e-5), ud.abs_row("c", "q", 5e-6, 1e-5)]
    assert [r.case for r in ud.tightest(rows, 2)] == ["b", "c"]
    assert "closest to their tolerance" in ud.format_table(rows)


def _readme_tolerances(shared_dir: Path) -> dict[str, str]:
    """Section 6 of the golden README: quantity -> tolerance cell, as written there."""
    text = (shared_dir / "golden" / "README.md").read_text()
    section = text.split("## 6.")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1] not in ("tolerance", "---"):
            rows[cells[0]] = cells[1]
    return rows


def test_tolerances_are_the_golden_readme_verbatim(shared_dir):
    rows = _readme_tolerances(shared_dir)

    def cell(prefix: str) -> str:
        hits = [v for k, v in rows.items() if k.startswith(prefix)]
        assert len(hits) == 1, (prefix, list(rows))
        return hits[0]

    t = ud.TOLERANCES

    def g(x: float) -> str:  # as the README writes them: 1e-7, 2e-4
        return f"{x:.0e}".replace("e-0", "e-")

    assert cell("Wu24 `retrieval_score`").startswith(f"exact (abs {g(t['exact_float'])})")
    assert cell("QRHead crafted `A1`") == f"abs {g(t['qrhead_A1_per_doc'])} / {g(t['qrhead_A1b_A1c_score_docs'])}"
    assert cell("tiny attention rows") == f"abs {g(t['tiny_attention'])}"
    assert cell("tiny logits") == f"abs {g(t['tiny_logits'])}"
    assert cell("SmolLM2 attention values") == f"abs {g(t['smol_attention'])}"
    assert cell("SmolLM2 logits").startswith(f"abs {g(t['smol_logits'])}")
    c = cell("C `step0_head_out`")
    assert c.startswith(f"abs {g(t['C_head_out_tiny'])} tiny, {g(t['C_head_out_smol'])} SmolLM2")
    assert c.endswith(f"blocked head == mean V to {g(t['C_blocked_equals_mean_v'])}")
    assert cell("QRHead `per_token_scores`") == (f"abs {g(t['qrhead_per_token_smol'])} "
                                                 f"(tiny {g(t['qrhead_per_token_tiny'])})")
    assert cell("QRHead per-doc").startswith(f"abs {g(t['qrhead_per_doc_abs'])} + rel {g(t['qrhead_per_doc_rel'])}")
    assert f"abs {g(t['qrhead_per_doc_fragile_abs'])}" in cell("QRHead per-doc")
    assert cell("QRHead `ranking`").startswith(f"each head's QRScore abs {g(t['qrhead_ranking'])}")
