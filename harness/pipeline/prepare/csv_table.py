"""The ground-truth CSV: reading it into records with their line numbers, the column roles, header checks."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.questions import QUESTION_KEYS, QUESTIONS
from harness.config import JOINS
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.input_files import decode_utf8, read_input_bytes

ID_FIELDS = ("filename", "cik", "year", "company")


@dataclass
class CsvTable:
    """The CSV as read: stripped header names, the non-blank records and the file's sha256."""

    path: Path
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (first line of the record, fields)
    sha256: str


class _FieldLimit:
    """Raise csv's field size limit for long Item 1 texts in a CSV cell, and restore it."""

    def __enter__(self) -> None:
        self.old = csv.field_size_limit()
        csv.field_size_limit(2**31 - 1)

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.old)


def _records(path: Path, text: str) -> tuple[list[str] | None, int, list[tuple[int, list[str]]]]:
    """(header or None, its line, data records with their first line); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = 1
    with _FieldLimit():
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise DataError(f"malformed CSV: {exc}", file=path, line=start) from exc
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line
            if header is None:
                header = [h.strip() for h in fields]
                header_line = start
            else:
                rows.append((start, fields))
    return header, header_line, rows


def read_csv(path: Path) -> CsvTable:
    """Read the ground-truth CSV (UTF-8, strict quoting); the header must name each column once."""
    raw = read_input_bytes(path, "ground-truth CSV")
    text = decode_utf8(path, raw, "ground-truth CSV")
    header, header_line, rows = _records(path, text)
    if header is None:
        raise DataError("the CSV is empty (no header line)", file=path, line=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"header field {i + 1} is empty", file=path, line=header_line)
        if name in seen:
            raise DataError("the header names this column twice", file=path, line=header_line, column=name)
        seen[name] = i
    return CsvTable(path, header, rows, hashlib.sha256(raw).hexdigest())


def resolve_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Role (question key or ``filename``/``cik``/``year``/``company``) -> CSV column, defaults overridden."""
    mapping = {k: QUESTIONS[k].column for k in QUESTION_KEYS}
    mapping.update({k: k for k in ID_FIELDS})
    for key, col in (columns or {}).items():
        if key not in mapping:
            raise DataError(f"unknown column role {key!r} in the column mapping; expected one of "
                            f"{', '.join(QUESTION_KEYS + ID_FIELDS)}")
        if not isinstance(col, str) or not col.strip():
            raise DataError(f"the column mapping gives {key!r} no column name")
        mapping[key] = col.strip()
    return mapping


def require_column(table: CsvTable, column: str, why: str) -> None:
    """Raise :class:`DataError` (header line, the column) when the CSV lacks ``column``."""
    if column not in table.header:
        raise DataError(f"missing column ({why}); the header has: {', '.join(table.header)}",
                        file=table.path, line=1, column=column)


def choose_join(table: CsvTable, mapping: dict[str, str], join: str) -> str:
    """The join with the corpus (``filename`` or ``cik_year``) for ``join``, checked against the header."""
    if join in ("cik+year", "cik-year"):
        join = "cik_year"
    if join not in JOINS:
        raise DataError(f"unknown join {join!r}; expected one of {', '.join(JOINS)}")
    if join == "auto":
        if mapping["filename"] in table.header:
            return "filename"
        missing = [mapping[c] for c in ("cik", "year") if mapping[c] not in table.header]
        if missing:
            raise DataError(
                f"cannot join the corpus: the CSV has neither a {mapping['filename']!r} column nor both "
                f"{mapping['cik']!r} and {mapping['year']!r}; the header has: {', '.join(table.header)}",
                file=table.path, line=1, column=missing[0],
            )
        return "cik_year"
    if join == "filename":
        require_column(table, mapping["filename"], "the join on filename needs it")
    else:
        require_column(table, mapping["cik"], "the join on cik + year needs it")
        require_column(table, mapping["year"], "the join on cik + year needs it")
    return join
