from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.questions import QUESTION_KEYS
from harness.config import (
    PRESET_GRIDS,
    REPO_ROOT,
    ConfigError,
    ExperimentConfig,
    ModelConfig,
    apply_overrides,
    effective_grid,
    from_dict,
    load_config,
    presets,
)
from harness.store.keys import config_key


def _minimal(**extra) -> dict:
    data = {
        "name": "t",
        "datasets": [{"label": "d", "csv": "gt.csv", "corpus": "corpus.jsonl"}],
        "models": [{"name": "smollm2-135m-instruct"}],
    }
    data.update(extra)
    return data


def _write(tmp_path: Path, data, name: str = "cfg.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data) if name.endswith(".json") else data)
    return p


# ----------------------------------------------------------------------------------------------- presets


def test_presets_are_the_three_files():
    assert set(presets()) == {"demo", "quick", "paper"}


def test_demo_preset():
    cfg = load_config("demo")
    assert cfg.name == "demo" and cfg.source.endswith("harness/configs/demo.json")
    assert [m.name for m in cfg.models] == ["smollm2-135m-instruct", "gemma3-270m"]
    assert all(m.device == "cpu" and m.dtype == "float32" for m in cfg.models)
    gemma = cfg.model("gemma3-270m")
    assert (gemma.top_n, gemma.k_grid) == (20, [0, 4, 8, 12, 16, 20])
    synthetic, edgar = cfg.datasets
    assert synthetic.synthetic and synthetic.generate == {"n_filings": 30, "seed": 0}
    assert synthetic.generated_dir == REPO_ROOT / "data" / "generated" / "synthetic"
    assert edgar.optional and not edgar.synthetic
    assert edgar.csv == str((REPO_ROOT / "../shared/edgar_sample/edgar_gt.csv").resolve())
    assert (cfg.context_tokens, cfg.max_new_tokens) == (512, 12) and cfg.seeds == [0, 1, 2]
    assert cfg.methods == ["summed_attention", "wu24", "qrhead"] and cfg.questions == list(QUESTION_KEYS)
    assert cfg.results_dir == str(REPO_ROOT / "results" / "demo")


def test_quick_preset_is_small():
    cfg = load_config("quick")
    assert len(cfg.datasets) == 1 and cfg.datasets[0].generate["n_filings"] == 16
    assert cfg.seeds == [0, 1] and cfg.context_tokens == 512
    # its generated data must not overwrite the demo's
    assert cfg.datasets[0].label not in {d.label for d in load_config("demo").datasets}


def test_paper_preset():
    cfg = load_config("paper")
    assert [m.name for m in cfg.models] == ["llama3-8b-instruct", "llama3-8b"]
    assert all(m.device == "cuda" and m.dtype == "bfloat16" for m in cfg.models)
    (ds,) = cfg.datasets
    assert ds.corpus == "hf" and ds.csv == str(REPO_ROOT / "data" / "ground_truth.csv")
    assert (cfg.context_tokens, cfg.max_new_tokens, cfg.top_n) == (4096, 48, 50)
    assert [m.role for m in cfg.models] == ["instruct", "base"] and cfg.wu24_copy == "chars"


def test_defaults_from_minimal_file(tmp_path):
    cfg = load_config(_write(tmp_path, _minimal()))
    assert cfg.k_grid == [0, 10, 20, 30, 40, 50] and cfg.top_n == 50 and cfg.seeds == [0, 1, 2, 3, 4]
    assert (cfg.mask_mode, cfg.mask_scope, cfg.wu24_gate, cfg.stop) == ("uniform", "decode", "match", "newline_eos")
    assert (cfg.n_bootstrap, cfg.condition_batch, cfg.seed) == (1000, 32, 0)
    assert cfg.models[0].k_grid is None and cfg.models[0].top_n is None
    assert cfg.datasets[0].prepared_dir == str(REPO_ROOT / "data" / "prepared" / "d")


def test_relative_paths_resolve_against_repo_root_from_any_cwd(tmp_path, monkeypatch):
    p = _write(tmp_path, _minimal())
    monkeypatch.chdir(tmp_path)
    cfg = load_config(p)
    assert cfg.datasets[0].csv == str(REPO_ROOT / "gt.csv")
    assert cfg.datasets[0].corpus == str(REPO_ROOT / "corpus.jsonl")


def test_yaml_file(tmp_path):
    text = (
        "name: y\n"
        "datasets:\n  - {label: d, csv: /abs/gt.csv, text_column: item1}\n"
        "models:\n  - name: gemma3-270m\n    top_n: 20\n    k_grid: [0, 5, 10]\n"
        "mask_mode: zero\n"
    )
    cfg = load_config(_write(tmp_path, text, "c.yaml"))
    assert cfg.mask_mode == "zero" and cfg.datasets[0].text_column == "item1"
    assert cfg.datasets[0].csv == "/abs/gt.csv" and cfg.datasets[0].corpus is None
    assert cfg.models[0].k_grid == [0, 5, 10]


def test_model_given_as_plain_string(tmp_path):
    cfg = load_config(_write(tmp_path, _minimal(models=["llama3-8b"])))
    assert cfg.models[0] == ModelConfig(name="llama3-8b") and cfg.models[0].role == "base"


def test_aliases_know_their_role_and_others_must_give_it(tmp_path):
    cfg = load_config(_write(tmp_path, _minimal(models=["smollm2-135m-instruct", "gemma3-270m",
                                                        {"name": "/models/llama3-8b-local", "role": "base"}])))
    assert [m.role for m in cfg.models] == ["instruct", "base", "base"]
    with pytest.raises(ConfigError, match=r"field 'models\[0\]\.role': missing.*'instruct'.*'base'"):
        load_config(_write(tmp_path, _minimal(models=["meta-llama/Meta-Llama-3-8B"])))
    with pytest.raises(ConfigError, match=r"field 'models\[1\]\.role': missing"):
        load_config(_write(tmp_path, _minimal(models=["gemma3-270m", {"name": str(tmp_path)}])))
    with pytest.raises(ConfigError, match=r"field 'models\[0\]\.role': 'base' contradicts the alias"):
        load_config(_write(tmp_path, _minimal(models=[{"name": "llama3-8b-instruct", "role": "base"}])))
    with pytest.raises(ConfigError, match=r"field 'models\[0\]\.role': expected one of instruct, base"):
        load_config(_write(tmp_path, _minimal(models=[{"name": "x/y", "role": "chat"}])))


def test_to_dict_round_trip():
    cfg = load_config("demo")
    again = from_dict(json.loads(json.dumps(cfg.to_dict())), "roundtrip")
    assert again == cfg


# ----------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"mask_mode": "soft"}, "mask_mode", "uniform, zero"),
        ({"mask_scope": "prefill"}, "mask_scope", "decode, all"),
        ({"colour": 1}, "colour", "unknown field"),
        ({"k_grid": [10, 20]}, "k_grid", "start with 0"),
        ({"k_grid": [0, 20, 10]}, "k_grid", "increasing"),
        ({"k_grid": [0, 10, 60]}, "k_grid", "exceeds top_n"),
        ({"top_n": 0}, "top_n", ">= 1"),
        ({"seeds": []}, "seeds", "non-empty"),
        ({"seeds": [1, 1]}, "seeds", "repeated"),
        ({"methods": ["wu24", "attention"]}, "methods[1]", "summed_attention, wu24, qrhead"),
        ({"questions": ["ceo_name"]}, "questions[0]", "inc_state"),
        ({"context_tokens": "lots"}, "context_tokens", "integer"),
        ({"models": []}, "models", "non-empty list"),
        ({"models": [{"name": "a", "dtype": "int8"}]}, "models[0].dtype", "float32"),
        ({"models": [{"name": "a", "attn": "flash"}]}, "models[0].attn", "sdpa"),
        ({"models": [{"name": "a", "device": "gpu"}]}, "models[0].device", "cuda"),
        ({"models": [{"name": "a", "top_n": 5, "k_grid": [0, 10]}]}, "models[0].k_grid", "top_n"),
        ({"models": [{"name": "a", "role": "base"}, {"name": "a", "role": "base"}]}, "models[1].name", "twice"),
        ({"models": [{"dtype": "float32"}]}, "models[0].name", "missing"),
        ({"models": [{"name": "a", "random_pool": "everything"}]}, "models[0].random_pool", "outside_top_n"),
        ({"datasets": [{"label": "d", "corpus": "c.jsonl"}]}, "datasets[0].csv", "missing"),
        ({"datasets": [{"label": "d", "csv": "g.csv"}]}, "datasets[0].corpus", "exactly one"),
        ({"datasets": [{"label": "d", "csv": "g.csv", "corpus": "hf", "text_column": "t"}]},
         "datasets[0].corpus", "exactly one"),
        ({"datasets": [{"label": "a b", "csv": "g.csv", "corpus": "hf"}]}, "datasets[0].label", "letters"),
        ({"datasets": [{"label": "d", "csv": "g.csv", "corpus": "hf", "join": "cik"}]}, "datasets[0].join", "auto"),
        ({"datasets": [{"label": "d", "csv": "g.csv", "corpus": "hf", "columns": {"ceo": "x"}}]},
         "datasets[0].columns", "inc_state"),
        ({"datasets": [{"label": "d", "generate": {"seed": 1}}]}, "datasets[0].generate.n_filings", "missing"),
        ({"datasets": [{"label": "d", "generate": {"n_filings": 5, "size": 2}}]}, "datasets[0].generate.size",
         "unknown"),
        ({"datasets": [{"label": "d", "synthetic": False, "generate": {"n_filings": 5}}]}, "datasets[0].synthetic",
         "synthetic"),
    ],
)
def test_validation_errors_name_file_and_field(tmp_path, change, field, words):
    path = _write(tmp_path, _minimal(**change))
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert str(path) in msg and f"field '{field}'" in msg and words in msg


def test_missing_name_and_non_mapping(tmp_path):
    data = _minimal()
    del data["name"]
    with pytest.raises(ConfigError, match="field 'name': missing"):
        load_config(_write(tmp_path, data))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(_write(tmp_path, [1, 2]))


def test_invalid_json_reports_line_and_column(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{\n  "name": "x",\n  "models": [,]\n}\n')
    with pytest.raises(ConfigError, match=r"bad\.json: line 3, column 14: invalid JSON"):
        load_config(p)


def test_invalid_yaml_reports_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nmodels: [a, b\ndatasets: []\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line \d+, column \d+: invalid YAML"):
        load_config(p)


def test_unknown_preset_lists_presets():
    with pytest.raises(ConfigError, match="presets: demo, paper, quick"):
        load_config("nonexistent-preset")


def test_generated_dataset_takes_no_csv(tmp_path):
    bad = _minimal(datasets=[{"label": "d", "csv": "x.csv", "generate": {"n_filings": 3}}])
    with pytest.raises(ConfigError, match="takes no csv"):
        load_config(_write(tmp_path, bad))


def test_optional_dataset_availability(tmp_path):
    cfg = load_config(_write(tmp_path, _minimal(datasets=[
        {"label": "gone", "csv": str(tmp_path / "missing.csv"), "corpus": "hf", "optional": True},
        {"label": "needed", "csv": str(tmp_path / "missing.csv"), "corpus": "hf"},
        {"label": "gen", "generate": {"n_filings": 2}},
    ])))
    assert [d.available() for d in cfg.datasets] == [False, True, True]


# ------------------------------------------------------------------------------------------- overrides


def test_overrides_dotted_wildcard_and_by_name():
    cfg = load_config("demo", {"context_tokens": 2048, "models.*.device": "cuda",
                               "models.gemma3-270m.top_n": 24, "datasets[0].generate.n_filings": 7})
    assert cfg.context_tokens == 2048
    assert [m.device for m in cfg.models] == ["cuda", "cuda"]
    assert cfg.model("gemma3-270m").top_n == 24 and cfg.model("smollm2-135m-instruct").top_n is None
    assert cfg.datasets[0].generate["n_filings"] == 7


def test_overrides_are_validated_and_bad_paths_named():
    with pytest.raises(ConfigError, match="field 'mask_mode'"):
        load_config("demo", {"mask_mode": "half"})
    with pytest.raises(ConfigError, match=r"override 'models\.5\.device': index 5 out of range"):
        load_config("demo", {"models.5.device": "cuda"})
    with pytest.raises(ConfigError, match="no item named 'gpt-2'"):
        load_config("demo", {"models.gpt-2.device": "cuda"})


def test_apply_overrides_does_not_touch_input():
    data = {"models": [{"name": "a"}]}
    out = apply_overrides(data, {"models.0.dtype": "bfloat16"})
    assert data == {"models": [{"name": "a"}]} and out["models"][0]["dtype"] == "bfloat16"


# --------------------------------------------------------------------------------------- effective_grid


def test_effective_grid_keeps_a_grid_that_fits():
    cfg = load_config("demo")
    grid, top_n, warning = effective_grid(cfg.model("smollm2-135m-instruct"), 30 * 9, cfg)
    assert (grid, top_n, warning) == ([0, 10, 20, 30, 40, 50], 50, None)
    grid, top_n, warning = effective_grid(cfg.model("gemma3-270m"), 18 * 4, cfg)  # the preset already fits
    assert (grid, top_n, warning) == ([0, 4, 8, 12, 16, 20], 20, None)


def test_effective_grid_falls_back_to_the_model_preset():
    grid, top_n, warning = effective_grid(ModelConfig(name="gemma3-270m"), 72)
    assert (grid, top_n) == (PRESET_GRIDS["gemma3-270m"]["k_grid"], PRESET_GRIDS["gemma3-270m"]["top_n"])
    assert warning and "72 heads" in warning and "preset" in warning


@pytest.mark.parametrize("n_total", [2, 7, 16, 72, 99])
def test_effective_grid_scales_down_for_unknown_small_models(n_total):
    grid, top_n, warning = effective_grid(ModelConfig(name="some-small-model", role="base"), n_total)
    assert warning and f"{n_total} heads" in warning
    assert grid[0] == 0 and grid == sorted(set(grid)) and len(grid) >= 2
    assert max(grid) <= top_n and top_n + max(grid) <= n_total


def test_effective_grid_uses_per_model_then_run_defaults():
    cfg = ExperimentConfig(name="x", k_grid=[0, 2, 4], top_n=6, models=[{"name": "m", "role": "base"}],
                           datasets=[{"label": "d", "generate": {"n_filings": 2}}])
    assert effective_grid(ModelConfig(name="m", role="base"), 100, cfg) == ([0, 2, 4], 6, None)
    assert effective_grid(ModelConfig(name="m", role="base", k_grid=[0, 1], top_n=3), 100, cfg) == ([0, 1], 3, None)


# ------------------------------------------------------------------------------------------ config_key


def test_config_key_is_sha256_of_canonical_json():
    expected = hashlib.sha256(b'{"a":1,"b":[1,2],"c":{"x":null,"y":"\xc3\xa9"}}').hexdigest()
    assert config_key({"c": {"y": "é", "x": None}, "b": (1, 2), "a": 1}) == expected


def test_config_key_changes_with_any_value_and_ignores_key_order():
    unit = {"model": "m", "settings": {"k": [0, 10], "mode": "uniform"}}
    same = {"settings": {"mode": "uniform", "k": [0, 10]}, "model": "m"}
    assert config_key(unit) == config_key(same)
    assert config_key(unit) != config_key({"model": "m", "settings": {"k": [0, 10], "mode": "zero"}})
    assert config_key(unit) != config_key({"model": "m", "settings": {"k": [0, 20], "mode": "uniform"}})


def test_config_key_accepts_dataclasses_paths_and_numpy():
    import numpy as np

    @dataclass
    class S:
        a: int
        p: Path

    assert config_key({"s": S(1, Path("/x"))}) == config_key({"s": {"a": 1, "p": "/x"}})
    assert config_key({"n": np.int64(3), "f": np.float32(0.5)}) == config_key({"n": 3, "f": 0.5})
    with pytest.raises(TypeError, match="cannot serialise"):
        config_key({"x": object()})


def test_the_schema_is_json_schema():
    schema = ExperimentConfig.model_json_schema()
    assert {"datasets", "models", "k_grid", "mask_mode"} <= set(schema["properties"])
    assert schema["properties"]["mask_mode"]["enum"] == ["uniform", "zero"]
