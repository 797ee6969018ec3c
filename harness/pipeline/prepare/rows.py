"""CSV records -> rows of filings: identifiers, join keys, malformed and duplicate rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.questions import QUESTION_KEYS
from harness.pipeline.prepare.csv_table import CsvTable
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.identifiers import (
    filename_key,
    is_null,
    key_label,
    norm_cik,
    norm_filename,
    norm_year,
    sample_id,
)


@dataclass
class Row:
    """One CSV data row: its cells by column, identifiers, join key and (once attached) its Item 1 text."""

    line: int
    values: dict[str, str]
    filename: str | None = None
    cik: str | None = None
    year: str | None = None
    company: str | None = None
    key: Any = None
    text: str | None = None
    text_problem: str | None = None  # why there is no text
    text_problem_column: str | None = None
    text_source: str | None = None


def row_label(row: Row) -> str:
    """How a row's join key is shown to the user (the filename as written in the CSV)."""
    return f"filename {row.filename!r}" if isinstance(row.key, str) else key_label(row.key)


def excluded_row(row_or_line: Row | int, sid: str, column: str | None, status: str,
                 reason: str) -> dict[str, Any]:
    """The report entry of a row left out of the split."""
    line = row_or_line if isinstance(row_or_line, int) else row_or_line.line
    return {"line": line, "sample_id": sid, "column": column, "status": status, "reason": reason}


def _set_key(row: Row, join_mode: str, mapping: dict[str, str], raw_cik: str | None, raw_year: str | None) -> None:
    """The row's join key, or why it cannot be joined."""
    if join_mode == "filename":
        row.key = filename_key(row.filename)
        if row.key is None:
            row.text_problem, row.text_problem_column = "empty filename: cannot join", mapping["filename"]
    elif join_mode == "cik_year":
        row.key = (row.cik, row.year) if row.cik and row.year else None
        if row.cik is None:
            row.text_problem = f"cik {raw_cik!r} is not a number: cannot join"
            row.text_problem_column = mapping["cik"]
        elif row.year is None:
            row.text_problem = f"year {raw_year!r} is not a 4-digit year: cannot join"
            row.text_problem_column = mapping["year"]
    else:
        row.key = filename_key(row.filename) or ((row.cik, row.year) if row.cik and row.year else None)


def parse_rows(table: CsvTable, mapping: dict[str, str], join_mode: str
               ) -> tuple[list[Row], list[dict[str, Any]]]:
    """CSV records -> rows with their join key; records with the wrong number of fields are excluded."""
    width = len(table.header)
    rows: list[Row] = []
    excluded: list[dict[str, Any]] = []
    for line, fields in table.rows:
        if len(fields) != width:
            excluded.append(excluded_row(line, f"row{line}", None, "malformed_row",
                                         f"malformed row: {len(fields)} fields, the header has {width}"))
            continue
        values = dict(zip(table.header, fields, strict=True))
        raw_company = values.get(mapping["company"])
        raw_cik, raw_year = values.get(mapping["cik"]), values.get(mapping["year"])
        row = Row(line=line, values=values, filename=norm_filename(values.get(mapping["filename"])),
                  company=None if is_null(raw_company) else raw_company.strip(),
                  cik=norm_cik(raw_cik), year=norm_year(raw_year))
        _set_key(row, join_mode, mapping, raw_cik, raw_year)
        rows.append(row)
    if not rows and not excluded:
        raise DataError("the CSV has a header but no data rows", file=table.path, line=2)
    return rows, excluded


def _answer_signature(row: Row, mapping: dict[str, str]) -> tuple:
    return tuple((row.values.get(mapping[q]) or "").strip() for q in QUESTION_KEYS)


def drop_duplicates(rows: list[Row], mapping: dict[str, str]) -> tuple[list[Row], list[dict[str, Any]]]:
    """Rows of one filing: identical answers -> keep the first; conflicting answers -> drop them all."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        if row.key is not None:
            groups.setdefault(row.key, []).append(row)
    dropped: set[int] = set()
    excluded: list[dict[str, Any]] = []
    for key, group in groups.items():
        if len(group) < 2:
            continue
        lines = ", ".join(str(r.line) for r in group)
        column = mapping["filename"] if isinstance(key, str) else f"{mapping['cik']}+{mapping['year']}"
        if len({_answer_signature(r, mapping) for r in group}) == 1:
            for r in group[1:]:
                dropped.add(r.line)
                excluded.append(excluded_row(r, sample_id(r.filename, r.line), column, "duplicate",
                                             f"duplicate row for {row_label(r)}: same answers as line "
                                             f"{group[0].line}, which is kept"))
        else:
            for r in group:
                dropped.add(r.line)
                excluded.append(excluded_row(r, sample_id(r.filename, r.line), column, "duplicate",
                                             f"conflicting ground truth for {row_label(r)} on lines "
                                             f"{lines}: all dropped"))
    return [r for r in rows if r.line not in dropped], excluded
