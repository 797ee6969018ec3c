"""The shared EDGAR sample (45 real Item 1 texts + ground-truth CSV) as test input for data preparation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.paths import SHARED_DIR
from harness.pipeline.prepare import DataError

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


def assert_names(exc: DataError, file: Path | str, line: int | None, column: str | None) -> None:
    msg = str(exc)
    assert str(file) in msg
    if line is not None:
        assert f"line {line}" in msg and exc.line == line
    if column is not None:
        assert repr(column) in msg and exc.column == column
