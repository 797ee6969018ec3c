"""The command line: clear errors, overrides, steps wired to the same code as the Make targets."""

from __future__ import annotations

import json

import pytest

from harness.cli import main, parse_overrides


def test_bad_config_is_a_clear_error(capsys, tmp_path):
    assert main(["detect", "--config", str(tmp_path / "nope.json")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_bad_override_names_the_field(capsys):
    assert main(["detect", "--config", "quick", "--set", "context_tokens=-3"]) == 2
    assert "context_tokens" in capsys.readouterr().err


def test_override_values_are_json_when_they_parse():
    assert parse_overrides(["seeds=[0,1]", "mask_mode=zero", "top_n=7"]) == {
        "seeds": [0, 1], "mask_mode": "zero", "top_n": 7}
    with pytest.raises(SystemExit):
        parse_overrides(["oops"])


def test_bad_shard_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="rank"):
        main(["detect", "--config", "quick", "--shard", "3/2"])


def _one_csv_config(tmp_path):
    """A configuration of one model and one CSV data set, prepared into ``tmp_path / "p"`` (not prepared yet)."""
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({
        "name": "x", "results_dir": str(tmp_path / "r"), "models": [{"name": "smollm2-135m-instruct"}],
        "datasets": [{"label": "d", "csv": str(tmp_path / "gt.csv"), "text_column": "text",
                      "prepared_dir": str(tmp_path / "p")}]}))
    return cfg


def test_missing_prepared_data_says_what_to_run(capsys, tmp_path):
    cfg = _one_csv_config(tmp_path)
    assert main(["detect", "--config", str(cfg)]) == 2
    assert "make prepare" in capsys.readouterr().err


def test_a_missing_package_stops_the_run_before_any_work(capsys, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name in ("rouge_score", "nltk") else real(name, *a, **k))
    from harness.pipeline import steps

    ran = []
    monkeypatch.setattr(steps, "run_demo", lambda *a, **k: ran.append("demo"))
    monkeypatch.setattr(steps, "prepare_datasets", lambda *a, **k: ran.append("prepare"))
    assert main(["demo", "--config", "quick"]) == 2
    err = capsys.readouterr().err
    assert "rouge-score (import rouge_score)" in err and "pip install rouge-score==0.1.2" in err
    assert "nltk" in err and "nothing was run" in err
    assert ran == []
    assert main(["prepare", "--config", "quick"]) == 0  # prepare alone needs neither
    assert ran == ["prepare"]


def test_config_specific_needs():
    from harness.config import load_config
    from harness.pipeline.preflight import config_needs

    cfg = load_config("paper")
    names = {n.package for n in config_needs(cfg, ["prepare", "detect", "ablate"])}
    assert {"datasets", "accelerate"} <= names
    assert "datasets" not in {n.package for n in config_needs(cfg, ["detect"])}
    flash = load_config("quick", {"models.*.attn": "flash_attention_2", "wu24_gate": "rouge"})
    assert {"flash-attn", "rouge-score"} <= {n.package for n in config_needs(flash, ["detect"])}


def test_a_missing_hf_extra_names_its_install_command(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a, **k: None if name == "datasets" else real(name, *a, **k))
    assert main(["prepare", "--config", "paper"]) == 2
    err = capsys.readouterr().err
    assert "datasets (import datasets)" in err and "pip install -e .[hf]" in err
    assert main(["needs", "--config", "paper", "--missing-extras"]) == 0
    assert capsys.readouterr().out.split() == ["hf"]
    assert main(["needs", "--config", "demo", "--missing-extras"]) == 0
    assert capsys.readouterr().out.split() == []
    assert main(["needs", "--config", "paper"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("MISSING") and "datasets" in ln and "pip install -e .[hf]" in ln for ln in lines)
    assert any(ln.startswith("ok") and "transformers" in ln for ln in lines)


@pytest.mark.parametrize("step", ["prepare", "detect", "ablate", "figures", "report", "demo", "smoke"])
def test_limit_is_a_positive_integer_on_every_step(step, capsys):
    with pytest.raises(SystemExit):
        main([step, "--config", "quick", "--limit", "0"])
    assert "--limit" in capsys.readouterr().err


def test_a_limited_step_without_its_own_preparation_says_what_to_run(capsys, tmp_path):
    cfg = _one_csv_config(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "train_samples.json").write_text("{}")  # a full run's preparation is not a limited one's
    assert main(["detect", "--config", str(cfg), "--limit", "3"]) == 2
    err = capsys.readouterr().err
    assert "p-limit3" in err and "prepare --limit 3" in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "r-limit3").exists()


def test_the_smoke_run_of_a_preset_without_its_data_fails_at_once_naming_the_file(capsys, monkeypatch):
    import time

    from harness.config import load_config
    from harness.pipeline import smoke

    csv = load_config("paper").datasets[0].csv
    if __import__("pathlib").Path(csv).exists():
        pytest.skip(f"{csv} exists here")
    ran = []
    monkeypatch.setattr(smoke, "run_smoke", lambda *a, **k: ran.append(1))
    t = time.time()
    assert main(["smoke", "--config", "paper"]) == 2
    err = capsys.readouterr().err
    assert csv in err and "ground-truth CSV" in err and "'user'" in err
    assert time.time() - t < 10 and ran == []
