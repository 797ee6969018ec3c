"""Data preparation: the user's ground-truth CSV + Item 1 texts -> validated train/test splits.

Inputs
- the ground-truth CSV: one row per filing, the four answer columns (names from ``adapters.questions``,
  overridable) and optionally ``filename``, ``cik``, ``year``, ``company``;
- the Item 1 ("Business") text, from exactly one of
  (a) a text column of the CSV (``text_column``);
  (b) an EDGAR-CORPUS file or folder (``.jsonl`` / ``.json`` / ``.parquet`` records with ``filename``,
      ``cik``, ``year``, ``section_1``), joined on ``filename`` (base name without extension) or on
      ``cik`` + ``year`` (``join="auto"``: filename when the CSV has that column); CIKs compare as
      integers written without leading zeros, ``year`` is the filing year of EDGAR-CORPUS;
  (c) the Hugging Face dataset ``eloukas/edgar-corpus`` (``corpus="hf"``; needs ``datasets`` and internet).

- optionally a verified-evidence file (:mod:`.verified`): hand-checked evidence sentences per filing and
  answer column, which then decide the evidence of those questions.

Validation: each (row, question) gets exactly one status, checked in this order: ``null`` (empty or a
NULL marker such as "NULL", "N/A", "nan"), ``unparseable`` (``canonical_truth`` gives None),
``implausible`` (an incorporation year after the filing year), ``no_text`` (the row has no Item 1 text:
join miss, empty cell), ``no_evidence`` (the answer is not found in the text by ``adapters.evidence``),
``no_stating_sentence`` (it is found, but in no sentence that states the fact: ``adapters.stated_evidence``),
``usable``. Rows that cannot be read as a record (wrong number of fields)
or repeat another row's filing are excluded whole. Every exclusion is listed with its line number (as
an editor shows it, header = line 1) and reason. Problems with a whole input (missing column,
unreadable or malformed file, a join matching nothing) raise :class:`DataError` naming file, line and
column. A malformed line of a JSON-lines corpus or evidence file is skipped and listed with its line number
in the data report; ``strict=True`` makes it an error instead.

Output (all written atomically) in ``out_dir``: ``train_samples.json`` and ``test_samples.json``
(``{"meta": ..., "samples": [...]}``, the filings with at least one usable question split 80/20 by
``sklearn.model_selection.train_test_split`` in CSV order), ``data_report.md`` and ``data_report.json``.

Command line: ``python -m harness prepare --csv gt.csv --corpus edgar_corpus.jsonl --out data/prepared``.

The package, one module per step: :mod:`.csv_table` (reading the CSV, column roles, header checks),
:mod:`.corpus`, :mod:`.corpus_files` and :mod:`.corpus_hf` (the corpus readers), :mod:`.verified` (the
evidence file), :mod:`.rows` (rows, join keys, duplicates), :mod:`.texts` (attaching the texts),
:mod:`.validate` (the statuses), :mod:`.split`
and :mod:`.report` (the files written); :func:`prepare` runs them in that order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.questions import QUESTION_KEYS
from harness.pipeline.prepare.corpus import Corpus
from harness.pipeline.prepare.corpus_files import CORPUS_SUFFIXES
from harness.pipeline.prepare.corpus_hf import HF_DATASET, HF_YEARS
from harness.pipeline.prepare.csv_table import (
    ID_FIELDS,
    CsvTable,
    choose_join,
    read_csv,
    require_column,
    resolve_columns,
)
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.identifiers import NULL_MARKERS
from harness.pipeline.prepare.report import (
    REPORT_JSON,
    REPORT_MD,
    TEST_FILE,
    TRAIN_FILE,
    report_markdown,
    text_source_meta,
    write_json,
)
from harness.pipeline.prepare.rows import drop_duplicates, parse_rows
from harness.pipeline.prepare.split import SPLIT_METHOD, split_samples
from harness.pipeline.prepare.texts import attach_texts
from harness.pipeline.prepare.validate import STATUSES, Assessment, assess
from harness.pipeline.prepare.verified import VerifiedEvidence, load_verified
from harness.store.atomic import atomic_write_text

__all__ = [
    "CORPUS_SUFFIXES", "HF_DATASET", "HF_YEARS", "ID_FIELDS", "NULL_MARKERS", "STATUSES",
    "DataError", "PrepareResult", "prepare",
]


@dataclass
class PrepareResult:
    """What :func:`prepare` did: counts and the files it wrote."""

    out_dir: Path
    train_path: Path
    test_path: Path
    report_md: Path
    report_json: Path
    join: str
    n_rows: int  # data rows in the CSV
    n_rows_excluded: int  # rows not in the split, for any reason
    n_samples: int  # filings with at least one usable question (train + test)
    n_train: int
    n_test: int
    per_question: dict[str, dict[str, int]] = field(default_factory=dict)  # status counts + usable_train/test
    row_exclusions: list[dict[str, Any]] = field(default_factory=list)
    question_exclusions: list[dict[str, Any]] = field(default_factory=list)
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)  # malformed input lines: file, line, reason
    evidence_rules: dict[str, dict[str, int]] = field(default_factory=dict)  # question -> stating rule -> count

    def summary_line(self) -> str:
        """One line for logs: rows, exclusions, split sizes and usable counts per question."""
        usable = ", ".join(f"{q} {c['usable']}" for q, c in self.per_question.items())
        skipped = f"; {len(self.skipped_lines)} malformed input line(s) skipped" if self.skipped_lines else ""
        return (f"{self.n_rows} CSV rows, {self.n_rows_excluded} excluded; {self.n_samples} filings -> "
                f"train {self.n_train}, test {self.n_test} (join: {self.join}); usable: {usable}{skipped}; "
                f"report {self.report_md}")


def _join_mode(table: CsvTable, mapping: dict[str, str], text_column: str | None, join: str) -> str:
    """Check the header has every answer column and the text source's columns; the join to use."""
    for q in QUESTION_KEYS:
        require_column(table, mapping[q], f"ground truth of {q}")
    if text_column is not None:
        require_column(table, text_column, "the Item 1 text column")
        return "text_column"
    return choose_join(table, mapping, join)


def _meta(table: CsvTable, mapping: dict[str, str], join_mode: str, text_source: dict[str, Any],
          verified: VerifiedEvidence | None, found: Assessment, n_train: int, n_test: int, test_size: float,
          random_state: int) -> dict[str, Any]:
    """The ``meta`` block of every written file: inputs, columns, join, split settings and counts."""
    return {
        "generator": "harness.pipeline.prepare",
        "csv": {"path": str(table.path.resolve()), "sha256": table.sha256},
        "text_source": text_source,
        "evidence_file": verified.meta() if verified else None,
        "columns": {k: mapping[k] for k in QUESTION_KEYS + ID_FIELDS},
        "join": join_mode,
        "split": {"method": SPLIT_METHOD, "test_size": test_size,
                  "random_state": random_state, "shuffle": True,
                  "unit": "filings with >= 1 usable question, in CSV order"},
        "counts": {
            "rows": len(table.rows), "rows_excluded": len({e["line"] for e in found.row_exclusions}),
            "samples": len(found.records), "train": n_train, "test": n_test,
            "per_question": found.counts, "evidence_rules": found.rules,
        },
    }


@dataclass
class _Inputs:
    """What :func:`_assess_input` read: the CSV, the join used, the corpus and the verified evidence."""

    table: CsvTable
    join_mode: str
    corpus: Corpus | None
    verified: VerifiedEvidence | None

    def skipped_lines(self) -> list[dict[str, Any]]:
        """Malformed lines of the corpus and the evidence file, skipped."""
        return (self.corpus.skipped_lines if self.corpus else []) + \
            (self.verified.skipped_lines if self.verified else [])


def _assess_input(csv_path: Path, mapping: dict[str, str], corpus: str | os.PathLike | None,
                  text_column: str | None, join: str, evidence_file: str | os.PathLike | None,
                  strict: bool) -> tuple[_Inputs, Assessment]:
    """Read the CSV, the texts and the verified evidence and judge every row."""
    if (corpus is None) == (text_column is None):
        raise DataError("give exactly one Item 1 text source: a corpus (file, folder or 'hf') or a text "
                        "column of the CSV" + ("" if corpus is None else ", not both"), file=csv_path)
    table = read_csv(csv_path)
    join_mode = _join_mode(table, mapping, text_column, join)
    verified = load_verified(evidence_file, strict) if evidence_file is not None else None
    rows, malformed = parse_rows(table, mapping, join_mode)
    rows, duplicates = drop_duplicates(rows, mapping)
    corpus_info = attach_texts(rows, join_mode, mapping, csv_path, corpus, text_column, strict)
    found = assess(rows, mapping, verified)
    found.row_exclusions = sorted(malformed + duplicates + found.row_exclusions, key=lambda e: e["line"])
    found.question_exclusions.sort(key=lambda e: (e["line"], QUESTION_KEYS.index(e["question"])))
    return _Inputs(table, join_mode, corpus_info, verified), found


def prepare(
    csv_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    corpus: str | os.PathLike | None = None,
    text_column: str | None = None,
    columns: Mapping[str, str] | None = None,
    join: str = "auto",
    test_size: float = 0.2,
    random_state: int = 42,
    evidence_file: str | os.PathLike | None = None,
    strict: bool = False,
) -> PrepareResult:
    """Validate the ground truth against the Item 1 texts, split 80/20 and write splits + data report.

    ``corpus``: an EDGAR-CORPUS file or folder, or ``"hf"`` / ``"hf:<dataset id>"`` for the Hugging Face
    dataset; ``text_column``: a CSV column holding the text instead. ``columns`` maps question keys
    (``inc_state`` ...) and ``filename``/``cik``/``year``/``company`` to CSV column names. ``join``:
    ``auto``, ``filename`` or ``cik_year``. ``evidence_file``: verified evidence sentences (JSON lines, see
    :mod:`.verified`). Raises :class:`DataError` for inputs that cannot be used at all; bad rows are
    excluded and reported, malformed corpus / evidence lines skipped and reported (``strict``: an error).
    """
    csv_path, out = Path(csv_path), Path(out_dir)
    mapping = resolve_columns(columns)
    inputs, found = _assess_input(csv_path, mapping, corpus, text_column, join, evidence_file, strict)
    table, join_mode, corpus_info = inputs.table, inputs.join_mode, inputs.corpus
    train, test, split_error = split_samples(found.records, test_size, random_state)
    for q in QUESTION_KEYS:
        found.counts[q]["usable_train"] = sum(r["usable"][q] for r in train)
        found.counts[q]["usable_test"] = sum(r["usable"][q] for r in test)
    meta = _meta(table, mapping, join_mode, text_source_meta(join_mode, text_column, corpus_info),
                 inputs.verified, found, len(train), len(test), test_size, random_state)
    paths = {"train": out / TRAIN_FILE, "test": out / TEST_FILE, "md": out / REPORT_MD, "json": out / REPORT_JSON}
    report = {"meta": meta, "row_exclusions": found.row_exclusions,
              "question_exclusions": found.question_exclusions,
              "corpus_warnings": corpus_info.warnings if corpus_info else [],
              "skipped_lines": inputs.skipped_lines(),
              "evidence_warnings": (inputs.verified.warnings if inputs.verified else []) + found.evidence_warnings,
              "split_error": split_error,
              "train_ids": [r["sample_id"] for r in train], "test_ids": [r["sample_id"] for r in test]}
    write_json(paths["json"], report)
    atomic_write_text(paths["md"], report_markdown(report))
    if split_error:
        raise DataError(f"{split_error}; see {paths['md']}", file=csv_path)
    for part, samples in (("train", train), ("test", test)):
        write_json(paths[part], {"meta": {**meta, "part": part, "n_samples": len(samples)}, "samples": samples})
    return PrepareResult(
        out_dir=out, train_path=paths["train"], test_path=paths["test"], report_md=paths["md"],
        report_json=paths["json"], join=join_mode, n_rows=len(table.rows),
        n_rows_excluded=meta["counts"]["rows_excluded"], n_samples=len(found.records), n_train=len(train),
        n_test=len(test), per_question=found.counts, row_exclusions=found.row_exclusions,
        question_exclusions=found.question_exclusions, skipped_lines=report["skipped_lines"],
        evidence_rules=found.rules,
    )
