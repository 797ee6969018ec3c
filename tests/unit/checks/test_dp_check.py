"""The data-parallel check's pieces that need no GPU (harness/checks/dp_check.py): its configuration, its
model, and how it compares two runs' unit files."""

from __future__ import annotations

import json
from pathlib import Path

from harness.checks import dp_check
from harness.config import from_dict


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)


def test_config_is_a_valid_study_config(tmp_path):
    cfg = from_dict(dp_check.dp_config(tmp_path, tmp_path / "model"))
    assert cfg.name == "dp_check" and len(cfg.datasets) == 1 and len(cfg.models) == 1
    assert cfg.models[0].device == "cuda"


def test_unit_files_strip_provenance_and_keep_only_units(tmp_path):
    _write(tmp_path / "detection" / "m" / "wu24.json", {"scores": [1, 2], "provenance": {"time": 1},
                                                       "samples": [{"x": 1, "provenance": "host"}]})
    _write(tmp_path / "ablation" / "m" / "answers.csv", "a,b\n1,2\n")
    _write(tmp_path / "figures" / "f.json", {"ignored": True})
    files = dp_check.unit_files(tmp_path)
    assert files == {"detection/m/wu24.json": {"scores": [1, 2], "samples": [{"x": 1}]},
                     "ablation/m/answers.csv": "a,b\n1,2\n"}


def test_compare_unit_files():
    a = {"detection/x.json": {"s": 1}, "ablation/y.json": {"s": 2}}
    assert dp_check.compare_unit_files(a, dict(a)) == (True, [])
    b = {"detection/x.json": {"s": 1}, "ablation/y.json": {"s": 3}, "ablation/z.json": {}}
    assert dp_check.compare_unit_files(a, b) == (False, ["ablation/y.json", "ablation/z.json"])
    assert dp_check.compare_unit_files({}, {}) == (False, [])  # no unit files is no evidence


def test_build_model_saves_a_loadable_model_and_tokenizer(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dp_check.build_model(tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    tok = AutoTokenizer.from_pretrained(tmp_path)
    assert model.config.num_hidden_layers == 6 and model.config.num_attention_heads == 8
    assert model.config.vocab_size == len(tok) and tok.eos_token == "<|im_end|>"
