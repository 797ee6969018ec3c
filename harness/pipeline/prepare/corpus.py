"""An EDGAR-CORPUS as read for one join: the records a CSV row asks for, keyed by join key.

The readers of files and folders (:mod:`.corpus_files`) and of the Hugging Face dataset
(:mod:`.corpus_hf`) hand every record to :func:`add_record`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.identifiers import (
    filename_key,
    is_null,
    key_label,
    norm_cik,
    norm_filename,
    norm_year,
    str_or_none,
)


@dataclass
class CorpusRecord:
    """One corpus record a CSV row asks for: its Item 1 text (None when empty) and where it was read."""

    text: str | None
    filename: str | None
    cik: str | None
    year: str | None
    where: str  # "file:line" or "file record N"


@dataclass
class Corpus:
    """What was read from a corpus: the wanted records by join key, counts and warnings for the report."""

    label: str  # path or HF dataset id
    kind: str  # "file" | "folder" | "hf"
    files: list[str]
    sha256: str | None
    records: dict[Any, list[CorpusRecord]]  # only records whose key a CSV row asks for
    n_scanned: int = 0
    examples: list[str] = field(default_factory=list)  # a few keys seen, for error messages
    warnings: list[str] = field(default_factory=list)
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)  # malformed lines: file, line, reason


def required_fields(join: str) -> tuple[str, ...]:
    """The record fields the join needs, ``section_1`` first."""
    return ("section_1", "filename") if join == "filename" else ("section_1", "cik", "year")


def record_key(rec: Mapping[str, Any], join: str) -> Any:
    """A record's join key (filename key, or the (cik, year) pair); None when it has no usable one."""
    if join == "filename":
        return filename_key(norm_filename(str_or_none(rec.get("filename"))))
    cik, year = norm_cik(rec.get("cik")), norm_year(rec.get("year"))
    return (cik, year) if cik and year else None


def _line_of(where: str) -> int | None:
    m = re.search(r":(\d+)$", where)
    return int(m.group(1)) if m else None


def add_record(corpus: Corpus, where: str, obj: Any, join: str, wanted: set, seen_fields: set,
               file: Path) -> None:
    """Count the record ``obj`` read at ``where`` and keep it when a CSV row wants its key."""
    if not isinstance(obj, dict):
        line = _line_of(where)
        at = "" if line is not None else f" ({where.removeprefix(str(file)).strip()})"
        raise DataError(f"corpus record is not a JSON object ({type(obj).__name__}){at}", file=file, line=line)
    corpus.n_scanned += 1
    seen_fields.update(k for k, v in obj.items() if v is not None)
    key = record_key(obj, join)
    if key is None:
        if len(corpus.warnings) < 50:
            missing = ", ".join(f for f in required_fields(join)[1:] if is_null(str_or_none(obj.get(f))))
            corpus.warnings.append(f"{where}: record without a usable join key ({missing or 'invalid value'})")
        return
    if len(corpus.examples) < 3:
        corpus.examples.append(f"filename {str(obj.get('filename')).strip()!r}" if join == "filename"
                               else key_label(key))
    if key not in wanted:
        return
    text = obj.get("section_1")
    corpus.records.setdefault(key, []).append(CorpusRecord(
        text=text if isinstance(text, str) and text.strip() else None,
        filename=norm_filename(str_or_none(obj.get("filename"))),
        cik=norm_cik(obj.get("cik")),
        year=norm_year(obj.get("year")),
        where=where,
    ))
