"""Giving each row its Item 1 text: from a text column of the CSV, or joined from a corpus."""

from __future__ import annotations

import os
from pathlib import Path

from harness.pipeline.prepare.corpus import Corpus
from harness.pipeline.prepare.corpus_files import load_corpus_path
from harness.pipeline.prepare.corpus_hf import hf_name, load_corpus_hf
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.rows import Row, row_label


def _texts_from_column(rows: list[Row], csv_path: Path, text_column: str | None) -> None:
    for row in rows:
        cell = row.values.get(text_column or "")
        if cell is None or not cell.strip():
            row.text_problem, row.text_problem_column = "empty text cell", text_column
        else:
            row.text, row.text_source = cell, f"{csv_path} column {text_column!r}"


def _check_join_matched(rows: list[Row], wanted: set, found: Corpus, join_mode: str, mapping: dict[str, str],
                        csv_path: Path) -> None:
    """Raise :class:`DataError` when rows ask for keys and the corpus has none of them."""
    if not wanted or found.records:
        return
    first = next(r for r in rows if r.key in wanted)
    raise DataError(
        f"the join on {join_mode} matched no record of the corpus {found.label} "
        f"({found.n_scanned} records scanned); this row has {row_label(first)}, the corpus "
        f"has e.g. {', '.join(found.examples) or 'no usable keys'}"
        + "".join(f"; {w}" for w in found.warnings[:3]),
        file=csv_path, line=first.line,
        column=mapping["filename"] if join_mode == "filename" else mapping["cik"],
    )


def _join_row(row: Row, found: Corpus, key_column: str) -> None:
    """The text of the one corpus record (or identical records) with the row's key, or why there is none."""
    matches = found.records.get(row.key, [])
    if not matches:
        row.text_problem = f"no corpus record with {row_label(row)} in {found.label}"
    elif len({m.text for m in matches}) > 1:
        row.text_problem = (f"{len(matches)} corpus records with {row_label(row)} and different "
                            f"texts ({', '.join(m.where for m in matches)}): ambiguous")
    elif matches[0].text is None:
        row.text_problem = f"corpus record {matches[0].where} has an empty section_1"
    else:
        rec = matches[0]
        row.text, row.text_source = rec.text, rec.where
        row.filename = row.filename or rec.filename
        row.cik = row.cik or rec.cik
        row.year = row.year or rec.year
    if row.text_problem is not None:
        row.text_problem_column = key_column


def attach_texts(rows: list[Row], join_mode: str, mapping: dict[str, str], csv_path: Path,
                 corpus: str | os.PathLike | None, text_column: str | None, strict: bool = False) -> Corpus | None:
    """Give each row its Item 1 text or the reason it has none; returns the corpus read (if any).

    ``strict``: a malformed corpus line raises :class:`DataError` instead of being skipped and listed.
    """
    if join_mode == "text_column":
        _texts_from_column(rows, csv_path, text_column)
        return None
    wanted = {r.key for r in rows if r.key is not None and r.text_problem is None}
    hf = hf_name(corpus)
    found = load_corpus_hf(hf, join_mode, wanted) if hf else load_corpus_path(Path(corpus), join_mode, wanted,
                                                                                strict)
    _check_join_matched(rows, wanted, found, join_mode, mapping, csv_path)
    key_column = mapping["filename"] if join_mode == "filename" else f"{mapping['cik']}+{mapping['year']}"
    for row in rows:
        if row.text_problem is None:
            _join_row(row, found, key_column)
    return found
