"""Comparing two runs' result files (harness/checks/compare_runs.py)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.checks import compare_runs as cr
from harness.cli import main as cli_main
from harness.paths import REPO_ROOT


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))


def _run(root: Path, score: float = 0.5, when: str = "monday") -> Path:
    _write(root / "synth" / "detection" / "m" / "wu24.json",
           {"scores": [score], "provenance": {"git": "abc"}, "timestamp": when, "config": str(root / "cfg.json"),
            "code": str(REPO_ROOT / "harness")})
    _write(root / "synth" / "ablation" / "m" / "answers.csv", "k,answer\n0,Delaware\n")
    _write(root / "synth" / "cache" / "detection" / "m" / "f1.json", {"time": when, "x": 1})
    _write(root / "synth" / "figures" / "tables" / "t.csv", "a\n1\n")
    _write(root / "synth" / "run_manifest.json", {"run": str(root)})
    _write(root / "synth" / "figures" / "plot.png", when)  # not compared
    _write(root / "synth" / "FINDINGS.md", when)  # not compared
    _write(root / "synth" / "detection" / ".hidden.json", when)  # not compared
    return root


def test_result_files_are_the_compared_ones(tmp_path):
    rels = [rel for rel, _ in cr.result_files(_run(tmp_path / "a"))]
    assert rels == sorted(rels) and set(rels) == {
        "synth/ablation/m/answers.csv", "synth/cache/detection/m/f1.json", "synth/detection/m/wu24.json",
        "synth/figures/tables/t.csv", "synth/run_manifest.json"}
    assert cr.count_files(tmp_path / "a") == 5


def test_identical_runs_differ_only_in_what_may_differ(tmp_path):
    a, b = _run(tmp_path / "a", when="monday"), _run(tmp_path / "b", when="tuesday")
    assert cr.compare_runs(a, b) == []
    assert cli_main(["compare-runs", str(a), str(b)]) == 0


def test_changed_missing_and_extra_files_are_reported(tmp_path):
    a, b = _run(tmp_path / "a"), _run(tmp_path / "b", score=0.6)
    (b / "synth" / "figures" / "tables" / "t.csv").unlink()
    _write(b / "synth" / "ablation" / "m" / "extra.json", {})
    diffs = cr.compare_runs(a, b)
    assert diffs == [f"only in {a.resolve()}: synth/figures/tables/t.csv",
                     f"only in {b.resolve()}: synth/ablation/m/extra.json",
                     "differs: synth/detection/m/wu24.json"]
    assert cli_main(["compare-runs", str(a), str(b)]) != 0
