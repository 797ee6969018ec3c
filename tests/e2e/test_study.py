"""The study runner end to end on a tiny local model: all units written, deterministic, resumable after a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.checks.dp_check import unit_files
from harness.cli import main as cli_main
from harness.paths import REPO_ROOT
from harness.store.units import model_slug

REPO = REPO_ROOT


def _config(tmp: Path, model_dir: Path, results: str) -> Path:
    cfg = {
        "name": "unit",
        "results_dir": str(tmp / results),
        "datasets": [{"label": "synth6", "synthetic": True, "generate": {"n_filings": 6, "seed": 3},
                      "prepared_dir": str(tmp / "prepared")}],
        "models": [{"name": str(model_dir), "role": "instruct"}],
        "k_grid": [0, 2, 4], "top_n": 4, "seeds": [0, 1], "context_tokens": 96, "max_new_tokens": 3,
        "n_bootstrap": 50, "condition_batch": 8,
    }
    path = tmp / f"{results}.json"
    path.write_text(json.dumps(cfg))
    return path


@pytest.mark.slow
def test_study_units_deterministic_and_resumable(tmp_path, tiny_model_dir, monkeypatch):
    cfg_a = _config(tmp_path, tiny_model_dir, "run_a")
    gen = tmp_path / "generated"
    monkeypatch.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: gen / self.label))
    for step in ("prepare", "detect", "ablate"):
        assert cli_main([step, "--config", str(cfg_a)]) == 0
    run_a = tmp_path / "run_a" / "synth6"
    units = unit_files(run_a)
    n_units = 4 * 4
    assert len([k for k in units if k.startswith("detection/")]) == n_units
    assert len([k for k in units if k.startswith("ablation/") and k.endswith(".json")]) == n_units
    abl = units["ablation/qrhead/" + model_slug(str(tiny_model_dir)) + "__inc_year.json"]
    assert [p["k"] for p in abl["top"]] == [0, 2, 4] and len(abl["random"]) == 2 * 2
    assert abl["mask_mode"] == "uniform" and abl["mask_scope"] == "decode"

    # a rerun skips every unit and changes nothing
    log_before = (run_a / "run_log.jsonl").read_text()
    assert cli_main(["detect", "--config", str(cfg_a)]) == 0
    assert "skipped" in (run_a / "run_log.jsonl").read_text()[len(log_before):]
    assert unit_files(run_a) == units

    # same configuration, fresh results folder, killed mid-way then resumed: identical results
    cfg_b = _config(tmp_path, tiny_model_dir, "run_b")
    run_b = tmp_path / "run_b" / "synth6"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = ("import sys; from pathlib import Path; import harness.config as c; "
              f"c.DatasetConfig.generated_dir = property(lambda self: Path({str(gen)!r}) / self.label); "
              "from harness.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", script, "detect", "--config", str(cfg_b)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = run_b / "cache" / "detection"
    deadline = time.time() + 240
    while time.time() < deadline and not (ckpt.exists() and any(ckpt.rglob("*.json"))):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(ckpt.rglob("*.json")), "the run never wrote a checkpoint"
    for p in run_b.rglob("*.json"):
        json.loads(p.read_text())  # every file under a final name is complete
    for step in ("detect", "ablate"):
        assert cli_main([step, "--config", str(cfg_b)]) == 0
    assert unit_files(run_b) == units
    shutil.rmtree(tmp_path / "run_b")


def test_both_summed_variants_side_by_side(tmp_path, tiny_model_dir, monkeypatch):
    """summed_context and summed_evidence are two methods: one run writes both, each in its own folder, from
    the same per-filing checkpoints, and the report studies both."""
    gen = tmp_path / "generated"
    monkeypatch.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: gen / self.label))
    cfg = _config(tmp_path, tiny_model_dir, "summed")
    methods = ["--set", 'methods=["summed_context", "summed_evidence"]']
    for step in ("prepare", "detect", "ablate"):
        assert cli_main([step, "--config", str(cfg), *methods]) == 0
    run = tmp_path / "summed" / "synth6"
    slug = model_slug(str(tiny_model_dir))
    units = unit_files(run)
    for q in ("inc_state", "inc_year", "employees", "hq_state"):
        ctx, evid = units[f"detection/summed_context/{slug}__{q}.json"], units[f"detection/summed_evidence/{slug}__{q}.json"]
        assert ctx["method"] == "summed_context" and evid["method"] == "summed_evidence"
        assert ctx["extra"]["region"] == "context" and evid["extra"]["region"] == "evidence"
        assert ctx["scores"] != evid["scores"]
        # each variant breaks its ties by the other one's score, and says so
        assert ctx["extra"]["tie_break"]["scores"] == pytest.approx(evid["scores"])
        assert 0 <= ctx["extra"]["n_top_positive"] <= ctx["top_n"] == 4
        for m in ("summed_context", "summed_evidence"):
            abl = units[f"ablation/{m}/{slug}__{q}.json"]
            assert [p["k"] for p in abl["top"]] == [0, 2, 4]
            assert (run / "ablation" / m / f"{slug}__{q}.answers.csv").exists()
    assert cli_main(["report", "--config", str(cfg), *methods]) == 0
    text = (run / "FINDINGS.md").read_text()
    assert "summed attention (context)" in text and "summed attention (evidence)" in text
    assert "## Summary" in text and "per-k tests in this run" in text


def test_shards_partition_the_samples_and_merge(tmp_path, tiny_model_dir, monkeypatch):
    """Two manual shards then a merging run give the same unit files as one process."""
    from harness.pipeline.shards import Shard

    assert Shard(0, 2).take(list(range(5))) == [0, 2, 4] and Shard(1, 2).take(list(range(5))) == [1, 3]
    assert not Shard(0, 2).merges and Shard(0, 2, synchronized=True).merges and Shard().merges
    gen = tmp_path / "generated"
    monkeypatch.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: gen / self.label))
    one = _config(tmp_path, tiny_model_dir, "one")
    two = _config(tmp_path, tiny_model_dir, "two")
    assert cli_main(["prepare", "--config", str(one)]) == 0
    assert cli_main(["detect", "--config", str(one), "--set", "methods=[\"qrhead\"]"]) == 0
    for r in ("0/2", "1/2"):
        assert cli_main(["detect", "--config", str(two), "--shard", r, "--set", "methods=[\"qrhead\"]"]) == 0
    run_two = tmp_path / "two" / "synth6"
    assert not (run_two / "detection").exists()  # shards only write checkpoints
    assert cli_main(["detect", "--config", str(two), "--set", "methods=[\"qrhead\"]"]) == 0
    assert unit_files(run_two) == unit_files(tmp_path / "one" / "synth6")
