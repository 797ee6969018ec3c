"""The ground-truth CSV: missing columns, unreadable or malformed files raise DataError naming file, line, column."""

from __future__ import annotations

import pytest

from harness.pipeline.prepare import DataError, prepare
from tests.helpers.edgar_sample import CORPUS, GT, assert_names, small_csv


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
