"""Tests for harness/pipeline/prepare.py: end to end on ../shared/edgar_sample, every kind of bad input."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from sklearn.model_selection import train_test_split

from adapters.questions import QUESTION_KEYS
from harness.cli import main as cli_main
from harness.paths import SHARED_DIR
from harness.pipeline.prepare import DataError, prepare

SHARED = SHARED_DIR
SAMPLE = SHARED / "edgar_sample"
GT = SAMPLE / "edgar_gt.csv"
CORPUS = SAMPLE / "edgar_corpus.jsonl"
COLUMN_OF = {"inc_state": "original_Inc_state_truth", "inc_year": "original_Inc_year_truth",
             "employees": "employee_count_truth", "hq_state": "headquarters_state_truth"}


def read_gt() -> tuple[list[str], list[dict[str, str]]]:
    with open(GT, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def corpus_texts() -> dict[str, str]:
    with open(CORPUS, encoding="utf-8") as fh:
        return {r["filename"]: r["section_1"] for r in map(json.loads, fh)}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def small_csv(tmp_path: Path, n: int = 6, edit=None, drop: tuple[str, ...] = (), name: str = "gt.csv") -> Path:
    """The first ``n`` rows of the shared ground truth, optionally edited, as a CSV in tmp_path."""
    header, rows = read_gt()
    rows = [dict(r) for r in rows[:n]]
    if edit:
        edit(rows)
    return write_csv(tmp_path / name, [h for h in header if h not in drop], rows)


# ----------------------------------------------------------------------------------------- end to end
def check_sample_split(out: Path, result) -> tuple[dict, dict]:
    """The shared sample: 45 filings, every fact in its text -> 45 usable per question, split 36/9."""
    with open(SAMPLE / "evidence.jsonl", encoding="utf-8") as fh:
        facts = {r["filename"]: r["facts"] for r in map(json.loads, fh)}
    assert len(facts) == 45
    assert result.n_rows == 45 and result.n_rows_excluded == 0 and result.n_samples == 45
    assert (result.n_train, result.n_test) == (36, 9)
    for q in QUESTION_KEYS:
        counts = result.per_question[q]
        assert counts["usable"] == 45
        assert counts["null"] == counts["unparseable"] == counts["no_text"] == counts["no_evidence"] == 0
        assert counts["usable_train"] + counts["usable_test"] == 45
    train, test = load(result.train_path), load(result.test_path)
    assert len(train["samples"]) == 36 and len(test["samples"]) == 9
    _, gt_rows = read_gt()
    ids_in_csv_order = [r["filename"].removesuffix(".htm") for r in gt_rows]
    exp_train, exp_test = train_test_split(ids_in_csv_order, test_size=0.2, random_state=42)
    assert [s["sample_id"] for s in train["samples"]] == exp_train
    assert [s["sample_id"] for s in test["samples"]] == exp_test
    texts = corpus_texts()
    for sample in train["samples"] + test["samples"]:
        assert sample["text"] == texts[sample["filename"]]
        assert sample["source_line"] == ids_in_csv_order.index(sample["sample_id"]) + 2
        assert sample["excluded"] == {} and all(sample["usable"].values())
        for q, column in COLUMN_OF.items():
            fact = facts[sample["filename"]][column]
            assert sample["answers"][q] == str(fact["answer"])
            start = fact["sentence_offset"]
            end = start + len(fact["sentence"])
            spans = sample["evidence_chars"][q]
            assert spans == sorted(spans)
            assert any(start <= a and b <= end and sample["text"][a:b] in fact["surface"] for a, b in spans)
    for doc in (train, test):
        meta = doc["meta"]
        assert meta["csv"]["sha256"] and meta["text_source"]["sha256"]
        assert meta["split"]["test_size"] == 0.2 and meta["split"]["random_state"] == 42
        assert meta["columns"]["employees"] == "employee_count_truth"
        assert meta["counts"]["train"] == 36 and meta["counts"]["test"] == 9
    report = load(result.report_json)
    assert report["row_exclusions"] == [] and report["question_exclusions"] == []
    md = result.report_md.read_text(encoding="utf-8")
    assert "| inc_state | `original_Inc_state_truth` | 0 | 0 | 0 | 0 | 45 | 36 | 9 |" in md
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    return train, test


def test_shared_sample_joined_on_filename(tmp_path):
    result = prepare(GT, tmp_path / "out", corpus=CORPUS)
    assert result.join == "filename"
    check_sample_split(tmp_path / "out", result)
    assert result.summary_line().startswith("45 CSV rows, 0 excluded; 45 filings -> train 36, test 9")


def test_shared_sample_joined_on_cik_and_year(tmp_path):
    header, rows = read_gt()
    for r in rows:
        r["cik"] = r["cik"].zfill(10)  # EDGAR style leading zeros: still the same CIK
    csv_path = write_csv(tmp_path / "gt_no_filename.csv", [h for h in header if h != "filename"], rows)
    result = prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert result.join == "cik_year"
    train, _ = check_sample_split(tmp_path / "out", result)
    assert train["samples"][0]["filename"].endswith(".htm")  # filled in from the corpus record
    assert train["samples"][0]["cik"] == train["samples"][0]["filename"].split("_")[0]


def test_cli_writes_the_split(tmp_path, capsys):
    out = tmp_path / "cli"
    assert cli_main(["prepare", "--csv", str(GT), "--corpus", str(CORPUS), "--out", str(out)]) == 0
    assert "train 36, test 9" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {"train_samples.json", "test_samples.json", "data_report.md",
                                               "data_report.json"}


def test_cli_reports_bad_input(tmp_path, capsys):
    assert cli_main(["prepare", "--csv", str(tmp_path / "nope.csv"), "--corpus", str(CORPUS), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "not found" in err


def test_csv_text_column_source(tmp_path):
    texts = corpus_texts()

    def add_text(rows):
        for r in rows:
            r["item1"] = texts[r["filename"]]
        rows[1]["item1"] = ""  # no text for this row

    header, _ = read_gt()
    _, rows = read_gt()
    rows = rows[:6]
    add_text(rows)
    csv_path = write_csv(tmp_path / "with_text.csv", [*header, "item1"], rows)
    result = prepare(csv_path, tmp_path / "out", text_column="item1")
    assert result.join == "text_column" and result.n_rows == 6
    assert result.n_samples == 5 and result.n_train + result.n_test == 5
    assert result.per_question["inc_state"]["usable"] == 5 and result.per_question["inc_state"]["no_text"] == 1
    # multi-line cells: a record starts on the line an editor shows, not at its row index
    file_lines = csv_path.read_text(encoding="utf-8").split("\n")
    starts = [2]
    for r in rows[:-1]:
        starts.append(starts[-1] + r["item1"].count("\n") + 1)
    assert all(file_lines[n - 1].startswith(r["filename"] + ",") for n, r in zip(starts, rows, strict=True))
    (excl,) = result.row_exclusions
    assert excl["line"] == starts[1] and excl["column"] == "item1" and "empty text" in excl["reason"]
    samples = load(result.train_path)["samples"] + load(result.test_path)["samples"]
    assert {s["sample_id"] for s in samples} == {r["filename"][:-4] for i, r in enumerate(rows) if i != 1}
    for s in samples:
        assert s["text"] == texts[s["filename"]]
        assert s["source_line"] == starts[[r["filename"] for r in rows].index(s["filename"])]
    assert load(result.train_path)["meta"]["text_source"] == {"kind": "csv_text_column", "column": "item1"}


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


# ----------------------------------------------------------------------------- whole-input errors
def assert_names(exc: DataError, file: Path | str, line: int | None, column: str | None) -> None:
    msg = str(exc)
    assert str(file) in msg
    if line is not None:
        assert f"line {line}" in msg and exc.line == line
    if column is not None:
        assert repr(column) in msg and exc.column == column


def test_missing_column(tmp_path):
    csv_path = small_csv(tmp_path, drop=("employee_count_truth",))
    with pytest.raises(DataError, match="missing column") as info:
        prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, csv_path, 1, "employee_count_truth")


def test_missing_text_column_and_join_columns(tmp_path):
    csv_path = small_csv(tmp_path)
    with pytest.raises(DataError, match="missing column") as info:
        prepare(csv_path, tmp_path / "out", text_column="section_1")
    assert_names(info.value, csv_path, 1, "section_1")
    no_keys = small_csv(tmp_path, drop=("filename", "year"), name="no_keys.csv")
    with pytest.raises(DataError, match="cannot join") as info:
        prepare(no_keys, tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, no_keys, 1, "year")


def test_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        prepare(tmp_path / "missing.csv", tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, tmp_path / "missing.csv", None, None)
    with pytest.raises(DataError, match="is a folder"):
        prepare(tmp_path, tmp_path / "out", corpus=CORPUS)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(GT.read_bytes().replace(b"CABOT CORP", "CABOT CORP \u00e9".encode("latin-1"), 1))
    with pytest.raises(DataError, match="not UTF-8") as info:
        prepare(latin1, tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, latin1, 2, None)
    csv_path = small_csv(tmp_path)
    with pytest.raises(DataError, match="corpus not found") as info:
        prepare(csv_path, tmp_path / "out", corpus=tmp_path / "nope.jsonl")
    assert_names(info.value, tmp_path / "nope.jsonl", None, None)
    with pytest.raises(DataError, match="exactly one"):
        prepare(csv_path, tmp_path / "out")


def test_malformed_csv_quoting(tmp_path):
    lines = GT.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("INGLES MARKETS INC", 'INGLES "MARKETS" INC', 1).replace(",INGLES", ',"INGLES')
    bad = tmp_path / "bad_quotes.csv"
    bad.write_text("".join(lines[:8]), encoding="utf-8")
    with pytest.raises(DataError, match="malformed CSV") as info:
        prepare(bad, tmp_path / "out", corpus=CORPUS)
    assert_names(info.value, bad, 4, None)


def test_malformed_row_is_excluded_and_good_rows_go_through(tmp_path):
    lines = GT.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n").rsplit(",", 2)[0] + "\n"  # line 3: two fields short
    bad = tmp_path / "ragged.csv"
    bad.write_text("".join(lines[:7]), encoding="utf-8")
    result = prepare(bad, tmp_path / "out", corpus=CORPUS)
    assert result.n_rows == 6 and result.n_samples == 5
    (excl,) = result.row_exclusions
    assert excl["line"] == 3 and excl["status"] == "malformed_row" and "6 fields, the header has 8" in excl["reason"]
    assert "| 3 | row3 |" in result.report_md.read_text(encoding="utf-8")


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
        prepare(csv_path, tmp_path / "out", corpus=bad)
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
    with pytest.raises(DataError, match="pip install datasets"):
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


def test_too_few_usable_filings_still_writes_the_report(tmp_path):
    def blank(rows):
        for r in rows[1:]:
            for col in COLUMN_OF.values():
                r[col] = ""

    csv_path = small_csv(tmp_path, n=3, edit=blank)
    with pytest.raises(DataError, match="needs >= 2") as info:
        prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert "data_report.md" in str(info.value)
    report = load(tmp_path / "out" / "data_report.json")
    assert report["meta"]["counts"]["per_question"]["inc_state"] == {
        "null": 2, "unparseable": 0, "no_text": 0, "no_evidence": 0, "usable": 1, "usable_train": 0,
        "usable_test": 0}
    assert not (tmp_path / "out" / "train_samples.json").exists()


# -------------------------------------------------------------------------------------- bad rows
def test_bad_rows_are_reported_and_good_rows_go_through(tmp_path):
    def spoil(rows):
        rows[0]["employee_count_truth"] = ""  # line 2: NULL
        rows[1]["original_Inc_year_truth"] = "NULL"  # line 3: NULL marker
        rows[2]["original_Inc_year_truth"] = "nineteen"  # line 4: unparseable year
        rows[3]["employee_count_truth"] = "about a thousand"  # line 5: unparseable count
        rows[4]["original_Inc_state_truth"] = "Atlantis"  # line 6: unparseable state
        rows[5]["employee_count_truth"] = "4201"  # line 7: not in the text (Ark 2022 has 1,901)
        rows[6]["headquarters_state_truth"] = "Alaska"  # line 8: not in the text
        rows[7]["filename"] = "999_2022.htm"  # line 9: join miss
        for col in COLUMN_OF.values():  # line 10: nothing usable at all
            rows[8][col] = ""
        rows.append(dict(rows[9]))  # line 14: duplicate of line 11, same answers
        rows.append(dict(rows[10]))  # line 15: conflicts with line 12
        rows[-1]["employee_count_truth"] = "1"

    csv_path = small_csv(tmp_path, n=12, edit=spoil)
    result = prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert result.n_rows == 14
    pq = result.per_question
    assert pq["employees"] == {"null": 2, "unparseable": 1, "no_text": 1, "no_evidence": 1, "usable": 6,
                               "usable_train": pq["employees"]["usable_train"],
                               "usable_test": pq["employees"]["usable_test"]}
    assert pq["inc_year"]["null"] == 2 and pq["inc_year"]["unparseable"] == 1 and pq["inc_year"]["usable"] == 7
    assert pq["inc_state"]["unparseable"] == 1 and pq["inc_state"]["usable"] == 8
    assert pq["hq_state"]["no_evidence"] == 1 and pq["hq_state"]["usable"] == 8
    for q in QUESTION_KEYS:  # every row not dropped whole has exactly one status per question
        assert sum(pq[q][s] for s in ("null", "unparseable", "no_text", "no_evidence", "usable")) == 11
        assert pq[q]["usable_train"] + pq[q]["usable_test"] == pq[q]["usable"]

    rows_out = {(e["line"], e["status"]) for e in result.row_exclusions}
    assert rows_out == {(9, "no_text"), (10, "no_usable_question"), (12, "duplicate"), (14, "duplicate"),
                        (15, "duplicate")}
    by_line = {e["line"]: e for e in result.row_exclusions}
    assert "999_2022.htm" in by_line[9]["reason"] and by_line[9]["column"] == "filename"
    assert "same answers as line 11" in by_line[14]["reason"]
    assert "conflicting" in by_line[12]["reason"] and "12, 15" in by_line[12]["reason"]
    assert by_line[15]["reason"] == by_line[12]["reason"]

    q_out = {(e["line"], e["question"]): e for e in result.question_exclusions}
    assert q_out[(2, "employees")]["status"] == "null" and q_out[(2, "employees")]["column"] == "employee_count_truth"
    assert q_out[(3, "inc_year")]["status"] == "null"
    assert q_out[(4, "inc_year")]["status"] == "unparseable" and "'nineteen'" in q_out[(4, "inc_year")]["reason"]
    assert q_out[(5, "employees")]["status"] == "unparseable"
    assert q_out[(6, "inc_state")]["status"] == "unparseable"
    assert q_out[(7, "employees")]["status"] == "no_evidence" and "'4201'" in q_out[(7, "employees")]["reason"]
    assert q_out[(8, "hq_state")]["status"] == "no_evidence"
    assert all(q_out[(9, q)]["status"] == "no_text" for q in QUESTION_KEYS)

    # 14 rows - 3 duplicates dropped - join miss - nothing usable = 9 filings in the split
    assert result.n_samples == 9 and (result.n_train, result.n_test) == (7, 2)
    samples = load(result.train_path)["samples"] + load(result.test_path)["samples"]
    by_line = {s["source_line"]: s for s in samples}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 11, 13]
    assert by_line[2]["usable"] == {"inc_state": True, "inc_year": True, "employees": False, "hq_state": True}
    assert by_line[2]["answers"]["employees"] is None and by_line[2]["evidence_chars"]["employees"] == []
    assert set(by_line[2]["excluded"]) == {"employees"}
    assert by_line[7]["answers"]["employees"] == "4201" and not by_line[7]["usable"]["employees"]
    md = result.report_md.read_text(encoding="utf-8")
    for line in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15):
        assert f"| {line} |" in md
