"""``python -m harness smoke --config demo`` as a user runs it (the real SmolLM2, the synthetic corpus), cut
down by overrides to a few CPU seconds: the summary, and the full run's folders untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import load_config
from harness.paths import REPO_ROOT

# One model, one data set, one filing per split, a short grid: every step runs, in a few CPU seconds.
CUT_DOWN = ["--limit", "1", "--model", "smollm2-135m-instruct", "--dataset", "synthetic",
            "--set", "seeds=[0]", "--set", "k_grid=[0,10]", "--set", "context_tokens=256",
            "--set", "max_new_tokens=6"]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folder``: (size, modification time)."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.integration
def test_smoke_of_the_demo_preset(tmp_path):
    demo = load_config("demo")
    synthetic = demo.dataset("synthetic")
    real_results = tmp_path / "results" / "demo"
    (real_results / "synthetic").mkdir(parents=True)
    (real_results / "synthetic" / "run_manifest.json").write_text("{}")
    real_prepared = tmp_path / "prepared" / "synthetic"
    real_prepared.mkdir(parents=True)
    (real_prepared / "train_samples.json").write_text("{}")
    before = {f: snapshot(f) for f in (real_results, real_prepared, synthetic.generated_dir)}
    args = CUT_DOWN + ["--set", f"results_dir={real_results}",
                       "--set", f"datasets.synthetic.prepared_dir={real_prepared}"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    res = subprocess.run([sys.executable, "-m", "harness", "smoke", "--config", "demo", *args], cwd=REPO_ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    for part in ("Smoke run of 'demo': 1 model(s) x 1 data set(s) x 4 methods x 1 question",
                 "smollm2-135m-instruct (float32, cpu)", "synthetic: train 1 of 24, test 1 of 6",
                 "question   inc_state (the full run asks 4", "Full run projected"):
        assert part in out, part
    for step in ("prepare", "detect", "ablate", "figures", "report"):
        assert f"\n  {step:8s} synthetic" in out, step
    assert {f: snapshot(f) for f in before} == before  # the full run's files: untouched
    smoke_run = Path(f"{real_results}-smoke") / "synthetic"
    assert (smoke_run / "FINDINGS.md").exists()
    assert json.loads((smoke_run.parent / "smoke.json").read_text())["models"] == ["smollm2-135m-instruct"]
