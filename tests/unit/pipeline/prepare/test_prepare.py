"""End to end through prepare() and the CLI: the shared sample split 80/20, a text column of the CSV."""

from __future__ import annotations

import json
from pathlib import Path

from sklearn.model_selection import train_test_split

from adapters.questions import QUESTION_KEYS
from harness.cli import main as cli_main
from harness.pipeline.prepare import STATUSES, prepare
from harness.store.atomic import TMP_MARK
from tests.helpers.edgar_sample import COLUMN_OF, CORPUS, GT, SAMPLE, corpus_texts, load, read_gt, write_csv


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
        assert all(counts[s] == 0 for s in STATUSES if s != "usable")
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
    assert "| inc_state | `original_Inc_state_truth` | 0 | 0 | 0 | 0 | 0 | 0 | 45 | 36 | 9 |" in md
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp") or TMP_MARK in p.name]
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
