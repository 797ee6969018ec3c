"""``--limit N`` on every study step and the smoke run, end to end on a tiny local model and a synthetic
corpus: N filings per split, folders of their own, a full run's files untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checks.dp_check import unit_files
from harness.cli import main as cli_main


@pytest.fixture()
def config(tmp_path, tiny_model_dir, monkeypatch) -> Path:
    gen = tmp_path / "generated"
    monkeypatch.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: gen / self.label))
    cfg = {
        "name": "unit", "results_dir": str(tmp_path / "results" / "unit"),
        "datasets": [{"label": "synth", "synthetic": True, "generate": {"n_filings": 10, "seed": 3},
                      "prepared_dir": str(tmp_path / "prepared" / "synth")}],
        "models": [{"name": str(tiny_model_dir), "role": "instruct"}], "methods": ["qrhead"],
        "questions": ["inc_state", "employees"],
        "k_grid": [0, 2], "top_n": 3, "seeds": [0], "context_tokens": 96, "max_new_tokens": 3,
        "n_bootstrap": 20, "condition_batch": 8,
    }
    path = tmp_path / "unit.json"
    path.write_text(json.dumps(cfg))
    return path


def _split(prepared: Path, part: str) -> list[str]:
    return [s["sample_id"] for s in json.loads((prepared / f"{part}_samples.json").read_text())["samples"]]


def test_limit_on_every_step(config, tmp_path, capsys):
    for step in ("prepare", "detect", "ablate", "figures", "report"):
        assert cli_main([step, "--config", str(config), "--limit", "1"]) == 0, step
    prepared, run = tmp_path / "prepared" / "synth-limit1", tmp_path / "results" / "unit-limit1" / "synth"
    full_train = _split(prepared / "full", "train")
    assert len(full_train) == 8 and _split(prepared, "train") == full_train[:1]  # the full run's split, cut
    assert len(_split(prepared, "test")) == 1
    assert (tmp_path / "generated" / "synth-limit1" / "ground_truth.csv").exists()
    units = unit_files(run)
    det = [u for k, u in units.items() if k.startswith("detection/")]
    assert len(det) == 2 and all(u["settings"]["n_train"] == 1 for u in det)
    abl = [u for k, u in units.items() if k.startswith("ablation/") and k.endswith(".json")]
    assert len(abl) == 2 and all(u["n_test"] <= 1 for u in abl)
    assert (run / "FINDINGS.md").exists() and any((run / "figures").rglob("*.png"))
    # a full run's folders were never made, and demo --limit runs every step into the same folders
    assert not (tmp_path / "results" / "unit").exists() and not (tmp_path / "prepared" / "synth").exists()
    assert not (tmp_path / "generated" / "synth").exists()
    capsys.readouterr()
    assert cli_main(["demo", "--config", str(config), "--limit", "1"]) == 0
    assert "skipped" in (run / "run_log.jsonl").read_text()  # same settings: every unit was already done
    assert unit_files(run).keys() == units.keys()


def test_smoke_runs_every_step_apart_from_the_full_run(config, tmp_path, capsys):
    real = tmp_path / "results" / "unit" / "synth"
    real.mkdir(parents=True)
    (real / "run_manifest.json").write_text('{"kept": true}')
    assert cli_main(["smoke", "--config", str(config), "--limit", "1", "--question", "employees"]) == 0
    out = capsys.readouterr().out
    run = tmp_path / "results" / "unit-smoke" / "synth"
    assert "Smoke run of 'unit'" in out and "question   employees (the full run asks 2" in out
    for step in ("prepare", "detect", "ablate", "figures", "report"):
        assert f"\n  {step:8s} synth" in out, step
    assert "Full run projected" in out and "synth: train 1 of 8, test 1 of 2" in out
    assert sorted(p.name for p in real.iterdir()) == ["run_manifest.json"]
    assert (real / "run_manifest.json").read_text() == '{"kept": true}'
    assert {k.split("__")[-1] for k in unit_files(run) if k.startswith("detection/")} == {"employees.json"}
    summary = json.loads((tmp_path / "results" / "unit-smoke" / "smoke.json").read_text())
    assert summary["question"] == "employees" and summary["projected_seconds"]["detect"] > 0
    # a second smoke run starts afresh: its own folders are cleared, so every step is timed again
    (run / "stale.txt").write_text("x")
    assert cli_main(["smoke", "--config", str(config), "--limit", "1", "--question", "employees"]) == 0
    assert not (run / "stale.txt").exists() and "detect   synth" in capsys.readouterr().out
