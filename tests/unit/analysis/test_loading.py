"""Tests of harness/analysis/loading.py on FAKE result files (tests/helpers/fake_results.py): every unit is
read through its record schema, and a bad file names the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.analysis.loading import load_run
from harness.analysis.tables import analyze
from harness.store.records import RecordError
from tests.helpers.fake_results import GEMMA_BASE, write_fake_run


def _edit(path: Path, **changes) -> None:
    obj = json.loads(path.read_text())
    obj.update(changes)
    path.write_text(json.dumps(obj))


def _det(run: Path, model: str, method: str, q: str) -> Path:
    return run / "detection" / method / f"{model}__{q}.json"


def _abl(run: Path, model: str, method: str, q: str) -> Path:
    return run / "ablation" / method / f"{model}__{q}.json"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return write_fake_run(tmp_path_factory.mktemp("fake_run"))


def test_load_run_reads_every_unit(run: Path) -> None:
    res = load_run(run)
    assert len(res.detections) == 2 * 4 * 4 and len(res.ablations) == 32
    assert res.model_names() == ["fake-llama-instruct", "fake-gemma-base"]
    assert res.methods() == ["summed_context", "summed_evidence", "wu24", "qrhead"]
    assert set(res.answers) == set(res.ablations)  # every unit's answers CSV, beside it
    assert res.questions() == ["inc_state", "inc_year", "employees", "hq_state"]
    assert res.n_total("fake-llama-instruct") == 270 and res.n_total("fake-gemma-base") == 72
    assert res.synthetic is True and res.skipped == []


def test_answers_csv_is_read_as_per_sample_correctness(run: Path) -> None:
    res = load_run(run)
    key = ("fake-gemma-base", "wu24", "employees")
    ans = res.answers[key]
    assert list(ans.columns) == ["sample_id", "kind", "k", "seed", "correct"]
    abl = res.ablations[key]
    for point in abl["top"]:
        sel = ans[(ans["kind"] == "top") & (ans["k"] == point["k"])]
        assert len(sel) == abl["n_test"] and sel["correct"].mean() == pytest.approx(point["accuracy"])
        assert (sel["seed"] == -1).all()
    seeds = ans.loc[ans["kind"] == "random", "seed"]
    assert sorted(set(seeds)) == abl["seeds"]


def test_bad_answers_csv_names_the_file(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    csv_path = run / "ablation" / "wu24" / "fake-gemma-base__inc_year.answers.csv"
    csv_path.write_text(csv_path.read_text().replace(",True", ",maybe", 1))
    with pytest.raises(RecordError, match=r"inc_year\.answers\.csv: column correct"):
        load_run(run)
    csv_path.write_text("sample_id,k\ns1,0\n")
    with pytest.raises(RecordError, match="lacks column"):
        load_run(run)
    csv_path.unlink()
    assert load_run(run).answers == {}  # a unit without answers is analysed without the paired tests


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    path = _det(run, "fake-gemma-base", "wu24", "inc_year")
    path.write_text('{\n  "kind": "detection",\n  "model": oops\n}')
    with pytest.raises(RecordError, match=r"inc_year\.json: invalid JSON at line 3, column 12"):
        load_run(run)


def test_schema_errors_name_file_and_key(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    det, abl = (_det(run, "fake-gemma-base", "wu24", "inc_year"),
                _abl(run, "fake-gemma-base", "wu24", "inc_year"))
    good_det, good_abl = det.read_text(), abl.read_text()
    obj = json.loads(good_det)
    del obj["scores"]
    det.write_text(json.dumps(obj))
    with pytest.raises(RecordError, match=r"fake-gemma-base__inc_year\.json: key scores: Field required"):
        load_run(run)
    det.write_text(good_det)
    obj = json.loads(good_abl)
    obj["top"][2]["accuracy"] = 75.0  # a percentage where a share is expected
    abl.write_text(json.dumps(obj))
    with pytest.raises(RecordError, match=r"ablation/wu24/fake-gemma-base__inc_year\.json: key "
                                          r"top\.2\.accuracy: expected a share in \[0, 1\], "
                                          r"got 75\.0"):
        load_run(run)
    abl.write_text(good_abl)
    _edit(det, top_heads=["3-1", "99-0"])
    with pytest.raises(RecordError, match=r"top_heads: \['99-0'\] not among the scored heads"):
        load_run(run)


def test_empty_units_are_reported_not_analysed(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24", "qrhead"), questions=("inc_year",))
    _edit(_det(run, "fake-gemma-base", "wu24", "inc_year"), top_heads=[], n_samples_used=0)
    _edit(_abl(run, "fake-gemma-base", "wu24", "inc_year"), top=[], random=[], random_summary=[],
          note="fewer than 20 top heads were detected; no curve")
    res = load_run(run)
    assert ("fake-gemma-base", "wu24", "inc_year") not in res.detections
    assert [(k, r) for k, _, r in res.skipped] == [
        ("detection", "no top heads (0 samples used, " + str(
            json.loads(_det(run, "fake-gemma-base", "wu24", "inc_year").read_text())["n_samples_excluded"])
         + " excluded)"),
        ("ablation", "fewer than 20 top heads were detected; no curve")]
    an = analyze(res)
    assert set(an.sensitivity["method"]) == {"qrhead"}


def test_cross_file_and_value_checks_name_file_and_field(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    det, abl = (_det(run, "fake-gemma-base", "wu24", "inc_year"),
                _abl(run, "fake-gemma-base", "wu24", "inc_year"))
    good_det, good_abl = det.read_text(), abl.read_text()
    obj = json.loads(good_det)
    obj["scores"]["2-1"] = float("nan")  # json writes NaN, which is not a score
    det.write_text(json.dumps(obj))
    with pytest.raises(RecordError, match=r"inc_year\.json: key scores: expected a finite "
                                          r"number for every head, got nan for head 2-1"):
        load_run(run)
    det.write_text(good_det)
    _edit(det, kind="ablation")
    with pytest.raises(RecordError, match=r"detection/wu24/fake-gemma-base__inc_year\.json: key kind: "
                                          r"Input should be 'detection', got 'ablation'"):
        load_run(run)
    det.write_text(good_det)
    _edit(det, question="sic_code")
    with pytest.raises(RecordError, match=r"key question: 'sic_code' is not one of inc_state"):
        load_run(run)
    det.write_text(good_det)
    obj = json.loads(good_abl)
    del obj["random"][3]["seed"]
    abl.write_text(json.dumps(obj))
    with pytest.raises(RecordError, match=r"inc_year\.json: random\[3\]: no seed"):
        load_run(run)
    abl.write_text(good_abl)
    obj = json.loads(good_abl)
    obj["model_info"]["n_heads"] = 8
    abl.write_text(json.dumps(obj))
    with pytest.raises(RecordError, match=r"ablation/wu24/fake-gemma-base__inc_year\.json: key "
                                          r"model_info\.n_heads = 8 disagrees with 4 recorded for model "
                                          r"'fake-gemma-base'"):
        load_run(run)
    abl.write_text(good_abl)
    copy = run / "detection" / "wu24" / "again" / "copy.json"
    copy.parent.mkdir()
    copy.write_text(good_det)
    with pytest.raises(RecordError, match=r"fake-gemma-base__inc_year\.json: duplicate detection result "
                                          r"for \('fake-gemma-base', 'wu24', 'inc_year'\); also in "
                                          r"\S+again/copy\.json"):
        load_run(run)


def test_manifest_and_run_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match=r"nowhere: run directory does not exist"):
        load_run(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordError, match=r"empty: no result files under detection/ or ablation/"):
        load_run(tmp_path / "empty")
    run = write_fake_run(tmp_path / "run", models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    _edit(run / "run_manifest.json", models=["fake-gemma-base"])
    with pytest.raises(RecordError, match=r"run_manifest\.json: key models: Input should be a valid "
                                          r"dictionary"):
        load_run(run)
    (run / "run_manifest.json").unlink()  # a run without a manifest still loads from its unit files
    res = load_run(run)
    assert res.manifest == {} and res.synthetic is False
    assert res.model_names() == ["fake-gemma-base"] and res.n_total("fake-gemma-base") == 72


def test_units_hold_only_the_fields_of_their_file(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("qrhead",), questions=("hq_state",),
                         n_test=33)
    abl = _abl(run, "fake-gemma-base", "qrhead", "hq_state")
    obj = json.loads(abl.read_text())
    for row in obj["top"]:
        del row["n"], row["rouge_recall"]  # optional fields: the schema's defaults must not be read as data
    abl.write_text(json.dumps(obj))
    res = load_run(run)
    unit = res.ablations[("fake-gemma-base", "qrhead", "hq_state")]
    assert "n" not in unit["top"][0] and unit["top"][0]["k"] == 0
    assert unit["answers_csv"] == obj["answers_csv"] and unit["settings"]["fake"] is True  # extra fields kept
    top = analyze(res).ablation
    top = top[top["condition"] == "top"]
    assert (top["n"] == 33).all() and top["rouge_recall"].isna().all()
