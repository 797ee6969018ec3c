"""The corpus readers: folders of parquet / JSON lines, bad corpus files, record problems, the Hugging Face source."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from harness.pipeline.prepare import DataError, prepare
from tests.helpers.edgar_sample import CORPUS, assert_names, load, read_gt, small_csv, write_csv


def test_corpus_folder_with_parquet_and_custom_columns(tmp_path):
    pd = pytest.importorskip("pandas")
    folder = tmp_path / "corpus"
    folder.mkdir()
    frame = pd.read_json(CORPUS, lines=True, dtype={"cik": str, "year": str})
    frame.iloc[:3].to_parquet(folder / "part1.parquet")
    frame.iloc[3:].to_json(folder / "part2.jsonl", orient="records", lines=True)

    header, rows = read_gt()
    rows = rows[:8]
    for r in rows:
        r["Employees"] = r.pop("employee_count_truth")
    csv_path = write_csv(tmp_path / "renamed.csv",
                         [h if h != "employee_count_truth" else "Employees" for h in header], rows)
    result = prepare(csv_path, tmp_path / "out", corpus=folder, columns={"employees": "Employees"})
    assert result.n_samples == 8 and result.per_question["employees"]["usable"] == 8
    meta = load(result.train_path)["meta"]
    assert meta["text_source"]["kind"] == "folder"
    assert meta["text_source"]["files"] == ["part1.parquet", "part2.jsonl"]
    assert meta["columns"]["employees"] == "Employees"


def test_join_matching_nothing(tmp_path):
    def rename(rows):
        for r in rows:
            r["filename"] = "x" + r["filename"]

    csv_path = small_csv(tmp_path, edit=rename)
    with pytest.raises(DataError, match="matched no record") as info:
        prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, csv_path, 2, "filename")
    assert "x16040_2022.htm" in str(info.value) and str(CORPUS) in str(info.value)


def test_malformed_corpus(tmp_path):
    csv_path = small_csv(tmp_path)
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + lines[1][:200] + "\n" + lines[2], encoding="utf-8")
    with pytest.raises(DataError, match="malformed JSON") as info:
        prepare(csv_path, tmp_path / "out", corpus=bad, strict=True)
    assert_names(info.value, bad, 2, None)
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text("".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "section_1"}) + "\n" for line in lines[:3]
    ), encoding="utf-8")
    with pytest.raises(DataError, match="no corpus record has the field") as info:
        prepare(csv_path, tmp_path / "out", corpus=no_text)
    assert_names(info.value, no_text, None, "section_1")
    wrong = tmp_path / "corpus.txt"
    wrong.write_text("hello", encoding="utf-8")
    with pytest.raises(DataError, match="unknown corpus format"):
        prepare(csv_path, tmp_path / "out", corpus=wrong)


def test_corpus_record_problems_exclude_only_their_rows(tmp_path):
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[:6]]
    twin = dict(records[0], section_1=records[0]["section_1"] + " (amended)")  # same filename, other text
    records[1]["section_1"] = "   "  # empty text
    records[2] = dict(records[2], filename=records[2]["filename"].replace(".htm", ".txt"))  # other extension
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps([*records, twin, "not a record"][:-1]), encoding="utf-8")
    result = prepare(small_csv(tmp_path), tmp_path / "out", corpus=corpus)
    reasons = {e["line"]: e["reason"] for e in result.row_exclusions}
    assert set(reasons) == {2, 3}
    assert "ambiguous" in reasons[2] and "record 1" in reasons[2] and "record 7" in reasons[2]
    assert "empty section_1" in reasons[3] and "record 2" in reasons[3]
    assert result.n_samples == 4  # the .txt record joined on its base name
    with pytest.raises(DataError, match="not a JSON object") as info:
        corpus.write_text(json.dumps([*records, "not a record"]), encoding="utf-8")
        prepare(small_csv(tmp_path), tmp_path / "out", corpus=corpus)
    assert str(corpus) in str(info.value) and "record 7" in str(info.value)


@pytest.mark.skipif(importlib.util.find_spec("datasets") is not None, reason="needs `datasets` to be absent")
def test_hugging_face_source_without_datasets_says_what_to_install(tmp_path):
    with pytest.raises(DataError, match=re.escape("`datasets` package: pip install -e .[hf]")):
        prepare(small_csv(tmp_path), tmp_path / "out", corpus="hf")


def test_hugging_face_source_reads_the_year_configs(tmp_path, monkeypatch):
    """The real `datasets` needs internet; a stand-in module checks which configs are read and the join."""
    import sys
    import types

    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    calls = []

    def load_dataset(name, config, streaming=False):
        calls.append((name, config, streaming))
        year = config.removeprefix("year_")
        rows = [dict(r, filename=r["filename"].replace(".htm", ".txt")) for r in records if r["year"] == year]
        return {"train": rows[:1], "test": rows[1:]}

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    header, rows = read_gt()
    keep = [r for r in rows if r["year"] in ("2015", "2016", "2017", "2020", "2022")]
    csv_path = write_csv(tmp_path / "gt.csv", header, keep)
    result = prepare(csv_path, tmp_path / "out", corpus="hf")
    assert calls == [("eloukas/edgar-corpus", f"year_{y}", True) for y in (2015, 2016, 2017, 2020)]
    assert result.n_samples == 4 and result.per_question["employees"]["usable"] == 4
    misses = [e for e in result.row_exclusions if e["status"] == "no_text"]
    assert len(misses) == len(keep) - 4 and all("eloukas/edgar-corpus" in e["reason"] for e in misses)
    report = load(result.report_json)
    assert any("1993-2020" in w and "2022" in w for w in report["corpus_warnings"])
    assert load(result.train_path)["meta"]["text_source"]["dataset"] == "eloukas/edgar-corpus"

    only_new = write_csv(tmp_path / "new.csv", header, [r for r in rows if r["year"] == "2023"])
    with pytest.raises(DataError, match="matched no record") as info:
        prepare(only_new, tmp_path / "out2", corpus="hf")
    assert "1993-2020" in str(info.value) and "line 2" in str(info.value)

    def offline(name, config, streaming=False):
        raise ConnectionError("no route to huggingface.co")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=offline))
    with pytest.raises(DataError, match="internet"):
        prepare(csv_path, tmp_path / "out3", corpus="hf")
