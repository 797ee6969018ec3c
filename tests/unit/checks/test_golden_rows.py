"""The golden-check rows (harness/checks/golden/rows.py): comparators, margins, the table, and the tolerance
table checked against the golden directory's own."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from harness.checks.golden import rows as ud


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
    over = ud.abs_row("c", "q", 2e-5, 1e-5)
    assert over.margin == pytest.approx(2.0) and not over.passed
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


def test_mismatches_counts_elements():
    assert ud.mismatches({"a": [1, 2], "b": 3}, {"a": [1, 5], "c": 3}) == 3  # a[1], b missing, c missing
    assert ud.mismatches(np.array([1, 2, 3]), [1, 2]) == 1
    assert ud.mismatches(np.int64(4), 4) == 0 and ud.mismatches(1, 1.0) == 0 and ud.mismatches(True, 1) == 1


def test_abs_row_exact_and_non_finite():
    assert ud.abs_row("c", "q", 0.0, 0.0) == ud.Row("c", "q", 0.0, "exact", True, "", 0.0)
    assert not ud.abs_row("c", "q", 1.0, 0.0).passed
    nan = ud.abs_row("c", "q", math.nan, 1e-3)
    assert not nan.passed and math.isinf(nan.margin)


def test_format_table_rows_summary_and_closest_line():
    rows = [ud.abs_row("case/a", "q1", 5e-6, 1e-5), ud.exact_row("case/b", "q2", [1], [2], note="why")]
    lines = ud.format_table(rows).splitlines()
    assert lines[0].split() == ["case", "quantity", "max_abs_diff", "tolerance", "margin", "result", "note"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["case/a", "q1", "5e-06", "abs", "1e-05", "0.5", "pass"]
    assert lines[3].split() == ["case/b", "q2", "1", "exact", "inf", "FAIL", "why"]
    assert lines[4] == "2 rows, 1 passed, 1 failed"
    assert lines[5] == "closest to their tolerance (margin = max abs diff / tolerance): case/a q1 0.5"
    assert ud.format_margin(math.nan) == "-" and ud.format_margin(0.0) == "0"
