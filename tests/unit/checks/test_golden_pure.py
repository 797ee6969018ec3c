"""The model-free golden checks (harness/checks/golden/pure.py) pass on the golden vectors and fail on
mutated ones."""

from __future__ import annotations

import json
import shutil

import pytest

from harness.checks import golden
from harness.cli import main as cli_main

GOLDEN = golden.golden_dir()
needs_golden = pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"golden directory {GOLDEN} not present")
PURE_CHECKS = ["A_wu24", "A_qrhead", "B_wu24", "D_qrhead"]


def test_the_package_registers_the_pure_checks_without_a_model():
    assert golden.registered(include_model=False)[:4] == PURE_CHECKS
    assert not any(golden.needs_model(n) for n in PURE_CHECKS)


@needs_golden
@pytest.mark.parametrize("name", PURE_CHECKS)
def test_golden_check_passes(name):
    rows = golden.run_checks([name])
    assert len(rows) >= 5
    failed = [r for r in rows if not r.passed]
    assert not failed, golden.format_table(failed)


@needs_golden
def test_expected_rows_are_present():
    rows = golden.run_checks(["A_wu24", "D_qrhead"])
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
    monkeypatch.setenv(golden.GOLDEN_ENV, str(tmp_path))
    assert golden.golden_dir() == tmp_path
    rows = golden.run_checks(["A_wu24"])
    failed = {(r.case, r.quantity) for r in rows if not r.passed}
    assert failed == {("A_wu24/find_needle_idx/exact_5_unique", "span"), ("A_wu24/rouge_gate[20 pairs]", "passes")}
    assert cli_main(["diff-upstream", "--check", "A_wu24"]) == 1
