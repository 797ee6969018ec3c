"""The smoke run's parts without a model: the projection, the summary, the input checks, the limited run's
folders and the cut of the prepared splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import from_dict, load_config
from harness.pipeline import smoke, steps
from harness.pipeline.prepare import DataError


def _config(tmp: Path, **dataset) -> dict:
    return {"name": "unit", "results_dir": str(tmp / "results" / "unit"), "models": ["smollm2-135m-instruct"],
            "datasets": [{"label": "d", "prepared_dir": str(tmp / "prepared" / "d"), **dataset}]}


def test_projection_scales_model_steps_by_filings_and_questions():
    det = smoke.SmokeStep("detect", "d", "m", seconds=32.0, load_seconds=2.0, n_filings=3, full_filings=30)
    assert det.projected(4) == pytest.approx(2.0 + 10.0 * 30 * 4)
    assert smoke.SmokeStep("prepare", "d", seconds=5.0).projected(4) == 5.0
    assert smoke.SmokeStep("figures", "d", seconds=2.0).projected(4) == 8.0


def test_summary_names_what_ran_and_the_projected_full_run(tmp_path):
    full = from_dict(_config(tmp_path, generate={"n_filings": 10, "seed": 0}))
    limit = steps.RunLimit(3, smoke.SMOKE_TAG)
    scfg = steps.limited_config(full, limit, ["employees"])
    rep = smoke.SmokeReport(scfg, full, "employees", 3, list(full.models),
                            sizes={"d": {"train": 3, "test": 2, "full_train": 8, "full_test": 2}},
                            steps=[smoke.SmokeStep("prepare", "d", seconds=1.0),
                                   smoke.SmokeStep("detect", "d", "smollm2-135m-instruct", 7.0, 1.0, 3, 8),
                                   smoke.SmokeStep("ablate", "d", "smollm2-135m-instruct", 5.0, 1.0, 2, 2)],
                            seconds=13.0)
    text = rep.summary()
    assert len(text.splitlines()) <= 24
    for part in ("'unit'", "smollm2-135m-instruct (float32, cpu)", "d: train 3 of 8, test 2 of 2",
                 "summed_context, summed_evidence, wu24, qrhead", "question   employees (the full run asks 4",
                 f"{scfg.results_dir} (the full run's {full.results_dir} is not touched)", "Full run projected"):
        assert part in text, part
    assert rep.projected() == {"prepare": 1.0, "detect": pytest.approx(1 + 2 * 8 * 4),
                               "ablate": pytest.approx(1 + 2 * 2 * 4)}
    assert json.loads(json.dumps(rep.to_json()))["projected_seconds"]["prepare"] == 1.0


def test_limited_config_moves_results_and_prepared_data_only(tmp_path):
    cfg = from_dict(_config(tmp_path, generate={"n_filings": 10, "seed": 0}))
    lim = steps.limited_config(cfg, steps.RunLimit(4), ["inc_year"])
    assert lim.results_dir == cfg.results_dir + "-limit4"
    assert lim.datasets[0].prepared_dir == cfg.datasets[0].prepared_dir + "-limit4"
    assert lim.questions == ["inc_year"] and lim.models == cfg.models and lim.k_grid == cfg.k_grid
    assert steps.generated_dir_for(lim.datasets[0], steps.RunLimit(4)).name == "d-limit4"
    assert steps.RunLimit(2, "smoke").suffix == "-smoke"
    with pytest.raises(ValueError):
        steps.RunLimit(0)


def test_missing_input_fails_naming_the_file_and_an_optional_one_is_skipped(tmp_path):
    csv = tmp_path / "nope.csv"
    cfg = from_dict(_config(tmp_path, csv=str(csv), corpus="hf"))
    with pytest.raises(DataError, match="ground-truth CSV") as err:
        smoke.check_inputs(cfg)
    assert err.value.file == str(csv)
    csv.write_text("x\n")
    corpus = tmp_path / "corpus.jsonl"
    with pytest.raises(DataError, match="Item 1 corpus"):
        smoke.check_inputs(from_dict(_config(tmp_path, csv=str(csv), corpus=str(corpus))))
    assert smoke.check_inputs(from_dict(_config(tmp_path, csv=str(csv), corpus="hf"))) == []
    opt = from_dict(_config(tmp_path, csv=str(tmp_path / "absent.csv"), text_column="t", optional=True))
    assert "skipped" in smoke.check_inputs(opt)[0]


def test_the_paper_preset_needs_its_ground_truth(monkeypatch):
    cfg = load_config("paper")
    if Path(cfg.datasets[0].csv).exists():
        pytest.skip("data/ground_truth.csv exists here")
    with pytest.raises(DataError, match="data set 'user'") as err:
        smoke.check_inputs(cfg)
    assert err.value.file.endswith("data/ground_truth.csv")


def _sample(i: int, usable: dict[str, bool]) -> dict:
    return {"sample_id": f"s{i}", "usable": usable}


def test_cut_splits_keeps_the_first_usable_filings_of_each_split(tmp_path):
    full, out = tmp_path / "full", tmp_path / "cut"
    full.mkdir()
    rows = {"train": [_sample(i, {"inc_state": i % 2 == 0, "employees": True}) for i in range(7)],
            "test": [_sample(10 + i, {"inc_state": i == 1, "employees": False}) for i in range(3)]}
    for part, samples in rows.items():
        (full / f"{part}_samples.json").write_text(json.dumps({"meta": {"part": part}, "samples": samples}))
    sizes = steps.cut_splits(full, out, 2, ["inc_state"])
    assert sizes == {"train": 2, "full_train": 7, "test": 1, "full_test": 3}
    train = json.loads((out / "train_samples.json").read_text())
    assert [s["sample_id"] for s in train["samples"]] == ["s0", "s2"]
    assert train["meta"]["limit"]["usable"] == 4 and train["meta"]["n_samples"] == 2
    assert [s["sample_id"] for s in json.loads((out / "test_samples.json").read_text())["samples"]] == ["s11"]
    steps.cut_splits(full, tmp_path / "again", 2, ["inc_state"])
    assert (tmp_path / "again" / "train_samples.json").read_text() == (out / "train_samples.json").read_text()


def test_clearing_touches_only_the_smoke_folders(tmp_path):
    full = from_dict(_config(tmp_path, generate={"n_filings": 10, "seed": 0}))
    limit = steps.RunLimit(3, smoke.SMOKE_TAG)
    scfg = steps.limited_config(full, limit)
    real = Path(full.results_dir) / "d" / "keep.json"
    mine = Path(scfg.results_dir) / "d" / "old.json"
    prepared = Path(scfg.datasets[0].prepared_dir) / "train_samples.json"
    for p in (real, mine, prepared):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}")
    smoke.clear_smoke_folders(scfg, limit)
    assert real.exists() and not mine.exists() and not prepared.exists()
    with pytest.raises(RuntimeError, match="refusing"):
        smoke.clear_smoke_folders(full, limit)
    assert real.exists()
