from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.questions import QUESTION_KEYS
from harness.config import (
    PAPER_K_FRACTIONS,
    REPO_ROOT,
    ConfigDeprecation,
    ConfigError,
    ExperimentConfig,
    ModelConfig,
    apply_overrides,
    fraction_grid,
    from_dict,
    load_config,
    model_grid,
    presets,
)
from harness.methods.registry import METHOD_NAMES
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
    assert (gemma.top_n, gemma.k_grid) == (20, None) and cfg.k_grid is None  # the grid follows the fraction rule
    synthetic, edgar = cfg.datasets
    assert synthetic.synthetic and synthetic.generate == {"n_filings": 30, "seed": 0}
    assert synthetic.generated_dir == REPO_ROOT / "data" / "generated" / "synthetic"
    assert edgar.optional and not edgar.synthetic
    assert edgar.csv == str((REPO_ROOT / "../shared/edgar_sample/edgar_gt.csv").resolve())
    assert (cfg.context_tokens, cfg.max_new_tokens) == (512, 12) and cfg.seeds == [0, 1, 2]
    assert cfg.methods == ["summed_context", "summed_evidence", "wu24", "qrhead"]
    assert cfg.questions == list(QUESTION_KEYS)
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
    assert cfg.methods == list(METHOD_NAMES)
    for m in cfg.models:  # Llama-3-8B: 32 layers x 32 heads keep the paper's grid exactly
        assert model_grid(m, 1024, cfg) == ([0, 10, 20, 30, 40, 50], 50, None)


def test_every_preset_lists_the_four_methods_and_no_grid():
    for name in presets():
        cfg = load_config(name)
        assert cfg.methods == list(METHOD_NAMES) and len(METHOD_NAMES) == 4, name
        assert cfg.k_grid is None and all(m.k_grid is None for m in cfg.models), name


def test_defaults_from_minimal_file(tmp_path):
    cfg = load_config(_write(tmp_path, _minimal()))
    assert cfg.k_grid is None and cfg.k_fractions == list(PAPER_K_FRACTIONS)
    assert cfg.top_n == 50 and cfg.seeds == [0, 1, 2, 3, 4]
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
        ({"methods": ["wu24", "attention"]}, "methods[1]", "summed_context, summed_evidence, wu24, qrhead"),
        ({"k_fractions": [0.01, 0.02]}, "k_fractions", "start with 0"),
        ({"k_fractions": [0, 0.02, 0.02]}, "k_fractions", "strictly increasing"),
        ({"k_fractions": [0, 0.6]}, "k_fractions", "at most 0.5"),
        ({"summed_variant": "both"}, "summed_variant", "summed_context and summed_evidence"),
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


# ------------------------------------------------------------------------------------------- retired


def test_summed_attention_maps_to_the_variant_it_named(tmp_path):
    with pytest.warns(ConfigDeprecation, match="'summed_evidence'.*summed_context"):
        cfg = load_config(_write(tmp_path, _minimal(methods=["summed_attention", "wu24"], summed_variant="evidence")))
    assert cfg.methods == ["summed_evidence", "wu24"]
    with pytest.warns(ConfigDeprecation, match="now the method 'summed_context'"):
        cfg = load_config(_write(tmp_path, _minimal(methods=["summed_attention"])))
    assert cfg.methods == ["summed_context"]
    assert "summed_variant" not in cfg.to_dict()


def test_summed_variant_alone_is_dropped_with_a_note(tmp_path):
    with pytest.warns(ConfigDeprecation, match="no longer has an effect"):
        cfg = load_config(_write(tmp_path, _minimal(summed_variant="context")))
    assert cfg.methods == list(METHOD_NAMES)


# ------------------------------------------------------------------------------------------- k grids


@pytest.mark.parametrize(("n_total", "grid"), [
    (72, [0, 1, 2, 3, 4, 5]),  # Gemma 3 270M (18 x 4): 0.70 heads per step, made strictly increasing
    (270, [0, 3, 5, 8, 11, 13]),  # SmolLM2-135M (30 x 9): 0 to 4.8% of the heads
    (1024, [0, 10, 20, 30, 40, 50]),  # Llama-3-8B (32 x 32): the paper's grid exactly
    (4, [0, 1, 2]),  # a tiny model: never more than half the heads
])
def test_fraction_grid(n_total, grid):
    assert fraction_grid(n_total) == grid
    assert all(b > a for a, b in zip(grid, grid[1:], strict=False)) and 2 * max(grid) <= n_total


def test_fraction_grid_follows_the_shares_of_heads():
    assert fraction_grid(2048) == [0, 20, 40, 60, 80, 100]
    assert fraction_grid(270, [0, 0.1, 0.2]) == [0, 27, 54]


def test_model_grid_defaults_to_the_fraction_rule():
    cfg = load_config("demo")
    assert model_grid(cfg.model("smollm2-135m-instruct"), 30 * 9, cfg) == ([0, 3, 5, 8, 11, 13], 50, None)
    assert model_grid(cfg.model("gemma3-270m"), 18 * 4, cfg) == ([0, 1, 2, 3, 4, 5], 20, None)
    assert model_grid(ModelConfig(name="gemma3-270m"), 72) == ([0, 1, 2, 3, 4, 5], 50, None)  # 50 + 5 <= 72


def test_an_explicit_grid_wins_per_model_then_run_wide():
    cfg = ExperimentConfig(name="x", k_grid=[0, 2, 4], top_n=6, models=[{"name": "m", "role": "base"}],
                           datasets=[{"label": "d", "generate": {"n_filings": 2}}])
    assert model_grid(ModelConfig(name="m", role="base"), 100, cfg) == ([0, 2, 4], 6, None)
    assert model_grid(ModelConfig(name="m", role="base", k_grid=[0, 1], top_n=3), 100, cfg) == ([0, 1], 3, None)


@pytest.mark.parametrize("n_total", [2, 7, 16, 72, 99])
def test_model_grid_fits_small_models_with_a_warning(n_total):
    grid, top_n, warning = model_grid(ModelConfig(name="small", role="base", k_grid=[0, 10, 20, 30, 40, 50]), n_total)
    assert warning and f"{n_total} heads" in warning
    assert grid[0] == 0 and grid == sorted(set(grid)) and len(grid) >= 2
    assert max(grid) <= top_n and top_n + max(grid) <= n_total


def test_model_grid_shrinks_top_n_to_leave_the_random_pool_room():
    grid, top_n, warning = model_grid(ModelConfig(name="m", role="base"), 54)  # 50 + 5 > 54
    assert grid == fraction_grid(54) and top_n == 54 - max(grid) == 49 and "top_n=49" in warning


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
