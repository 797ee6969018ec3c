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


def test_missing_prepared_data_says_what_to_run(capsys, tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({
        "name": "x", "results_dir": str(tmp_path / "r"), "models": [{"name": "smollm2-135m-instruct"}],
        "datasets": [{"label": "d", "csv": str(tmp_path / "gt.csv"), "text_column": "text",
                      "prepared_dir": str(tmp_path / "p")}]}))
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
