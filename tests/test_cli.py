"""The command line: clear errors, overrides, steps wired to the same code as the Make targets."""

from __future__ import annotations

import json

import pytest

from harness.cli import _parse_overrides, main


def test_bad_config_is_a_clear_error(capsys, tmp_path):
    assert main(["detect", "--config", str(tmp_path / "nope.json")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_bad_override_names_the_field(capsys):
    assert main(["detect", "--config", "quick", "--set", "context_tokens=-3"]) == 2
    assert "context_tokens" in capsys.readouterr().err


def test_override_values_are_json_when_they_parse():
    assert _parse_overrides(["seeds=[0,1]", "mask_mode=zero", "top_n=7"]) == {
        "seeds": [0, 1], "mask_mode": "zero", "top_n": 7}
    with pytest.raises(SystemExit):
        _parse_overrides(["oops"])


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
