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

Validation: each (row, question) gets exactly one status, checked in this order: ``null`` (empty or a
NULL marker such as "NULL", "N/A", "nan"), ``unparseable`` (``canonical_truth`` gives None), ``no_text``
(the row has no Item 1 text: join miss, empty cell), ``no_evidence`` (the answer is not found in the
text by ``adapters.evidence``), ``usable``. Rows that cannot be read as a record (wrong number of fields)
or repeat another row's filing are excluded whole. Every exclusion is listed with its line number (as
an editor shows it, header = line 1) and reason. Problems with a whole input (missing column,
unreadable or malformed file, a join matching nothing) raise :class:`DataError` naming file, line and
column.

Output (all written atomically) in ``out_dir``: ``train_samples.json`` and ``test_samples.json``
(``{"meta": ..., "samples": [...]}``, the filings with at least one usable question split 80/20 by
``sklearn.model_selection.train_test_split`` in CSV order), ``data_report.md`` and ``data_report.json``.

Command line: ``python -m harness prepare --csv gt.csv --corpus edgar_corpus.jsonl --out data/prepared``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.answers import canonical_truth
from adapters.evidence import find_evidence_chars, surface_forms
from adapters.questions import QUESTION_KEYS, QUESTIONS

HF_DATASET = "eloukas/edgar-corpus"
HF_YEARS = range(1993, 2021)  # the year_YYYY configurations of EDGAR-CORPUS
ID_FIELDS = ("filename", "cik", "year", "company")
CORPUS_SUFFIXES = (".jsonl", ".json", ".parquet")
JOIN_MODES = ("auto", "filename", "cik_year")
NULL_MARKERS = frozenset({"", "null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "?"})
STATUSES = ("null", "unparseable", "no_text", "no_evidence", "usable")

_TRAIN_FILE = "train_samples.json"
_TEST_FILE = "test_samples.json"
_REPORT_MD = "data_report.md"
_REPORT_JSON = "data_report.json"


class DataError(ValueError):
    """Bad input data: the message names the file, the line (1-based, header = line 1) and the column."""

    def __init__(
        self, message: str, *, file: str | os.PathLike | None = None, line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.line = line
        self.column = column
        self.detail = message
        where = [p for p in (self.file, None if line is None else f"line {line}",
                             None if column is None else f"column {column!r}") if p]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


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

    def summary_line(self) -> str:
        """One line for logs: rows, exclusions, split sizes and usable counts per question."""
        usable = ", ".join(f"{q} {c['usable']}" for q, c in self.per_question.items())
        return (f"{self.n_rows} CSV rows, {self.n_rows_excluded} excluded; {self.n_samples} filings -> "
                f"train {self.n_train}, test {self.n_test} (join: {self.join}); usable: {usable}; "
                f"report {self.report_md}")


# --------------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------------
def _is_null(value: str | None) -> bool:
    return value is None or value.strip().casefold() in NULL_MARKERS


def _norm_filename(value: str | None) -> str | None:
    if _is_null(value):
        return None
    return re.split(r"[\\/]", str(value).strip())[-1] or None


def _filename_key(filename: str | None) -> str | None:
    """Join key of a filename: the base name without its extension ("16040_2022.htm" and the
    "16040_2022.txt" of another EDGAR-CORPUS build name the same filing)."""
    if not filename:
        return None
    return filename.rsplit(".", 1)[0] if "." in filename[1:] else filename


def _norm_cik(value: Any) -> str | None:
    """CIK as an integer string without leading zeros ("0000016040" -> "16040"); None if not one."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    return str(int(text))


def _norm_year(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text if len(text) == 4 and text.isdigit() else None


def _sample_id(filename: str | None, line: int) -> str:
    return _filename_key(filename) or f"row{line}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_bytes(path: Path, what: str) -> bytes:
    if not path.exists():
        raise DataError(f"{what} not found", file=path)
    if path.is_dir():
        raise DataError(f"{what} is a folder, expected a file", file=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {what}: {exc.strerror or exc}", file=path) from exc


def _decode(path: Path, raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{what} is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8 CSV",
            file=path, line=line,
        ) from exc


# --------------------------------------------------------------------------------------------------------
# the ground-truth CSV
# --------------------------------------------------------------------------------------------------------
@dataclass
class _CsvTable:
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


def _read_csv(path: Path) -> _CsvTable:
    raw = _read_bytes(path, "ground-truth CSV")
    text = _decode(path, raw, "ground-truth CSV")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
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
    if header is None:
        raise DataError("the CSV is empty (no header line)", file=path, line=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            raise DataError(f"header field {i + 1} is empty", file=path, line=header_line)
        if name in seen:
            raise DataError("the header names this column twice", file=path, line=header_line, column=name)
        seen[name] = i
    return _CsvTable(path, header, rows, hashlib.sha256(raw).hexdigest())


# --------------------------------------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------------------------------------
@dataclass
class _CorpusRecord:
    text: str | None
    filename: str | None
    cik: str | None
    year: str | None
    where: str  # "file:line" or "file record N"


@dataclass
class _Corpus:
    label: str  # path or HF dataset id
    kind: str  # "file" | "folder" | "hf"
    files: list[str]
    sha256: str | None
    records: dict[Any, list[_CorpusRecord]]  # only records whose key a CSV row asks for
    n_scanned: int = 0
    examples: list[str] = field(default_factory=list)  # a few keys seen, for error messages
    warnings: list[str] = field(default_factory=list)


def _record_key(rec: Mapping[str, Any], join: str) -> Any:
    if join == "filename":
        return _filename_key(_norm_filename(_str_or_none(rec.get("filename"))))
    cik, year = _norm_cik(rec.get("cik")), _norm_year(rec.get("year"))
    return (cik, year) if cik and year else None


def _key_label(key: Any) -> str:
    return f"cik={key[0]} year={key[1]}" if isinstance(key, tuple) else f"filename {key!r}"


def _row_label(row: _Row) -> str:
    """How a row's join key is shown to the user (the filename as written in the CSV)."""
    return f"filename {row.filename!r}" if isinstance(row.key, str) else _key_label(row.key)


def _required_fields(join: str) -> tuple[str, ...]:
    return ("section_1", "filename") if join == "filename" else ("section_1", "cik", "year")


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):  # noqa: B007 (line_no is read after the loop)
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"malformed JSON: {exc.msg} (char {exc.colno})", file=path,
                                    line=line_no) from exc
                yield f"{path}:{line_no}", obj
    except UnicodeDecodeError as exc:
        raise DataError(f"corpus file is not UTF-8 text ({exc.reason})", file=path, line=line_no + 1) from exc
    except OSError as exc:
        raise DataError(f"cannot read corpus file: {exc.strerror or exc}", file=path) from exc


def _iter_json(path: Path) -> Iterator[tuple[str, Any]]:
    raw = _read_bytes(path, "corpus file")
    text = _decode(path, raw, "corpus file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON lines saved as .json
            yield from _iter_jsonl(path)
            return
        raise DataError(f"malformed JSON: {exc.msg} (char {exc.colno})", file=path, line=exc.lineno) from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]
        elif "section_1" in data:
            data = [data]
    if not isinstance(data, list):
        raise DataError("expected a JSON list of records (or JSON lines)", file=path, line=1)
    for i, obj in enumerate(data, start=1):
        yield f"{path} record {i}", obj


def _iter_parquet(path: Path, required: Sequence[str]) -> Iterator[tuple[str, Any]]:
    try:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise DataError("reading parquet needs pyarrow: pip install pyarrow", file=path) from exc
    except Exception as exc:
        raise DataError(f"cannot read parquet file: {exc}", file=path) from exc
    names = set(pf.schema_arrow.names)
    for col in required:
        if col not in names:
            raise DataError(f"missing column; the file has: {', '.join(sorted(names))}", file=path, column=col)
    columns = [c for c in ("filename", "cik", "year", "section_1") if c in names]
    row = 0
    try:
        for batch in pf.iter_batches(columns=list(columns), batch_size=256):
            for obj in batch.to_pylist():
                row += 1
                yield f"{path} row {row}", obj
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"cannot read parquet file near row {row + 1}: {exc}", file=path) from exc


def _corpus_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            raise DataError(f"no {'/'.join(CORPUS_SUFFIXES)} files in this folder", file=path)
        return files
    if path.suffix.lower() not in CORPUS_SUFFIXES:
        raise DataError(f"unknown corpus format {path.suffix!r}; expected {', '.join(CORPUS_SUFFIXES)}",
                        file=path)
    return [path]


def _add_record(corpus: _Corpus, where: str, obj: Any, join: str, wanted: set, seen_fields: set,
                file: Path) -> None:
    if not isinstance(obj, dict):
        line = _line_of(where)
        at = "" if line is not None else f" ({where.removeprefix(str(file)).strip()})"
        raise DataError(f"corpus record is not a JSON object ({type(obj).__name__}){at}", file=file, line=line)
    corpus.n_scanned += 1
    seen_fields.update(k for k, v in obj.items() if v is not None)
    key = _record_key(obj, join)
    if key is None:
        if len(corpus.warnings) < 50:
            missing = ", ".join(f for f in _required_fields(join)[1:] if _is_null(_str_or_none(obj.get(f))))
            corpus.warnings.append(f"{where}: record without a usable join key ({missing or 'invalid value'})")
        return
    if len(corpus.examples) < 3:
        corpus.examples.append(f"filename {str(obj.get('filename')).strip()!r}" if join == "filename"
                               else _key_label(key))
    if key not in wanted:
        return
    text = obj.get("section_1")
    corpus.records.setdefault(key, []).append(_CorpusRecord(
        text=text if isinstance(text, str) and text.strip() else None,
        filename=_norm_filename(_str_or_none(obj.get("filename"))),
        cik=_norm_cik(obj.get("cik")),
        year=_norm_year(obj.get("year")),
        where=where,
    ))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _line_of(where: str) -> int | None:
    m = re.search(r":(\d+)$", where)
    return int(m.group(1)) if m else None


def _load_corpus_path(path: Path, join: str, wanted: set) -> _Corpus:
    if not path.exists():
        raise DataError("corpus not found", file=path)
    files = _corpus_files(path)
    corpus = _Corpus(label=str(path), kind="folder" if path.is_dir() else "file",
                     files=[str(f.relative_to(path)) if path.is_dir() else f.name for f in files],
                     sha256=None, records={})
    required = _required_fields(join)
    seen_fields: set[str] = set()
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".jsonl":
            items: Iterable[tuple[str, Any]] = _iter_jsonl(file)
        elif suffix == ".json":
            items = _iter_json(file)
        else:
            items = _iter_parquet(file, required)
        for where, obj in items:
            _add_record(corpus, where, obj, join, wanted, seen_fields, file)
    if corpus.n_scanned == 0:
        raise DataError("the corpus holds no records", file=path)
    for col in required:
        if col not in seen_fields:
            raise DataError(f"no corpus record has the field (join {join!r} needs {', '.join(required)})",
                            file=path, column=col)
    corpus.sha256 = _corpus_sha256(path, files)
    return corpus


def _corpus_sha256(path: Path, files: list[Path]) -> str:
    if not path.is_dir():
        return _sha256_file(path)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(path).as_posix()}\0{_sha256_file(f)}\n".encode())
    return digest.hexdigest()


def _hf_configs(wanted: set, join: str) -> tuple[list[str], list[int]]:
    """EDGAR-CORPUS configurations to read for the wanted keys, and the filing years it does not cover."""
    years: set[int] = set()
    for key in wanted:
        if join == "cik_year":
            years.add(int(key[1]))
            continue
        m = re.search(r"_((?:19|20)\d\d)(?!\d)", key)
        if not m:  # no year in the filename: read everything
            return ["full"], []
        years.add(int(m.group(1)))
    return ([f"year_{y}" for y in sorted(years) if y in HF_YEARS],
            [y for y in sorted(years) if y not in HF_YEARS])


def _load_corpus_hf(name: str, join: str, wanted: set) -> _Corpus:
    try:
        import datasets  # lazy: optional dependency, only for this source
    except ImportError as exc:
        raise DataError(
            f"the Hugging Face corpus {name!r} needs the `datasets` package: pip install datasets "
            "(and internet access); or download EDGAR-CORPUS files and pass --corpus PATH"
        ) from exc
    corpus = _Corpus(label=name, kind="hf", files=[], sha256=None, records={})
    configs, uncovered = _hf_configs(wanted, join)
    if uncovered:
        corpus.warnings.append(
            f"{name} covers filing years {HF_YEARS.start}-{HF_YEARS.stop - 1}; rows of "
            f"{', '.join(map(str, uncovered))} cannot be found there (pass --corpus PATH for those filings)")
    seen_fields: set[str] = set()
    for config in configs:
        try:
            splits = datasets.load_dataset(name, config, streaming=True)
        except Exception as exc:
            raise DataError(
                f"could not load the Hugging Face dataset {name!r} (config {config!r}): this source needs "
                f"internet access to huggingface.co (or a cached copy); {type(exc).__name__}: {exc}"
            ) from exc
        corpus.files.append(config)
        for split_name, split in splits.items():
            try:
                for i, obj in enumerate(split, start=1):
                    _add_record(corpus, f"{name}/{config}/{split_name} record {i}", dict(obj), join, wanted,
                                seen_fields, Path(name))
            except DataError:
                raise
            except Exception as exc:
                raise DataError(f"reading {name}/{config}/{split_name} failed (needs internet access): "
                                f"{type(exc).__name__}: {exc}") from exc
    for col in _required_fields(join):
        if corpus.n_scanned and col not in seen_fields:
            raise DataError("the dataset records lack this field", file=name, column=col)
    return corpus


def _hf_name(corpus: str | os.PathLike | None) -> str | None:
    if corpus is None:
        return None
    text = str(corpus)
    if text in ("hf", "huggingface"):
        return HF_DATASET
    if text.startswith("hf:"):
        return text[3:] or HF_DATASET
    if text == HF_DATASET and not Path(text).exists():
        return HF_DATASET
    return None


# --------------------------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------------------------
@dataclass
class _Row:
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


def _resolve_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
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


def _require(table: _CsvTable, column: str, why: str) -> None:
    if column not in table.header:
        raise DataError(f"missing column ({why}); the header has: {', '.join(table.header)}",
                        file=table.path, line=1, column=column)


def _choose_join(table: _CsvTable, mapping: dict[str, str], join: str) -> str:
    if join in ("cik+year", "cik-year"):
        join = "cik_year"
    if join not in JOIN_MODES:
        raise DataError(f"unknown join {join!r}; expected one of {', '.join(JOIN_MODES)}")
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
        _require(table, mapping["filename"], "the join on filename needs it")
    else:
        _require(table, mapping["cik"], "the join on cik + year needs it")
        _require(table, mapping["year"], "the join on cik + year needs it")
    return join


def _answer_signature(row: _Row, mapping: dict[str, str]) -> tuple:
    return tuple((row.values.get(mapping[q]) or "").strip() for q in QUESTION_KEYS)


def _excluded_row(row_or_line: _Row | int, sample_id: str, column: str | None, status: str,
                  reason: str) -> dict[str, Any]:
    line = row_or_line if isinstance(row_or_line, int) else row_or_line.line
    return {"line": line, "sample_id": sample_id, "column": column, "status": status, "reason": reason}


def _parse_rows(table: _CsvTable, mapping: dict[str, str], join_mode: str
                ) -> tuple[list[_Row], list[dict[str, Any]]]:
    """CSV records -> rows with their join key; records with the wrong number of fields are excluded."""
    width = len(table.header)
    rows: list[_Row] = []
    excluded: list[dict[str, Any]] = []
    for line, fields in table.rows:
        if len(fields) != width:
            excluded.append(_excluded_row(line, f"row{line}", None, "malformed_row",
                                          f"malformed row: {len(fields)} fields, the header has {width}"))
            continue
        values = dict(zip(table.header, fields, strict=True))
        raw_company = values.get(mapping["company"])
        raw_cik, raw_year = values.get(mapping["cik"]), values.get(mapping["year"])
        row = _Row(line=line, values=values, filename=_norm_filename(values.get(mapping["filename"])),
                   company=None if _is_null(raw_company) else raw_company.strip(),
                   cik=_norm_cik(raw_cik), year=_norm_year(raw_year))
        if join_mode == "filename":
            row.key = _filename_key(row.filename)
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
            row.key = _filename_key(row.filename) or ((row.cik, row.year) if row.cik and row.year else None)
        rows.append(row)
    if not rows and not excluded:
        raise DataError("the CSV has a header but no data rows", file=table.path, line=2)
    return rows, excluded


def _drop_duplicates(rows: list[_Row], mapping: dict[str, str]) -> tuple[list[_Row], list[dict[str, Any]]]:
    """Rows of one filing: identical answers -> keep the first; conflicting answers -> drop them all."""
    groups: dict[Any, list[_Row]] = {}
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
                excluded.append(_excluded_row(r, _sample_id(r.filename, r.line), column, "duplicate",
                                              f"duplicate row for {_row_label(r)}: same answers as line "
                                              f"{group[0].line}, which is kept"))
        else:
            for r in group:
                dropped.add(r.line)
                excluded.append(_excluded_row(r, _sample_id(r.filename, r.line), column, "duplicate",
                                              f"conflicting ground truth for {_row_label(r)} on lines "
                                              f"{lines}: all dropped"))
    return [r for r in rows if r.line not in dropped], excluded


def _attach_texts(rows: list[_Row], join_mode: str, mapping: dict[str, str], csv_path: Path,
                  corpus: str | os.PathLike | None, text_column: str | None) -> _Corpus | None:
    """Give each row its Item 1 text or the reason it has none; returns the corpus read (if any)."""
    if join_mode == "text_column":
        for row in rows:
            cell = row.values.get(text_column or "")
            if cell is None or not cell.strip():
                row.text_problem, row.text_problem_column = "empty text cell", text_column
            else:
                row.text, row.text_source = cell, f"{csv_path} column {text_column!r}"
        return None
    wanted = {r.key for r in rows if r.key is not None and r.text_problem is None}
    hf = _hf_name(corpus)
    found = _load_corpus_hf(hf, join_mode, wanted) if hf else _load_corpus_path(Path(corpus), join_mode, wanted)
    key_column = mapping["filename"] if join_mode == "filename" else f"{mapping['cik']}+{mapping['year']}"
    if wanted and not found.records:
        first = next(r for r in rows if r.key in wanted)
        raise DataError(
            f"the join on {join_mode} matched no record of the corpus {found.label} "
            f"({found.n_scanned} records scanned); this row has {_row_label(first)}, the corpus "
            f"has e.g. {', '.join(found.examples) or 'no usable keys'}"
            + "".join(f"; {w}" for w in found.warnings[:3]),
            file=csv_path, line=first.line,
            column=mapping["filename"] if join_mode == "filename" else mapping["cik"],
        )
    for row in rows:
        if row.text_problem is not None:
            continue
        matches = found.records.get(row.key, [])
        if not matches:
            row.text_problem = f"no corpus record with {_row_label(row)} in {found.label}"
        elif len({m.text for m in matches}) > 1:
            row.text_problem = (f"{len(matches)} corpus records with {_row_label(row)} and different "
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
    return found


def _question_status(row: _Row, q: str, raw: str | None) -> tuple[str, str, str | None, list[tuple[int, int]]]:
    """(status, reason, canonical answer, evidence spans) of one (row, question)."""
    kind = QUESTIONS[q].kind
    if _is_null(raw):
        shown = (raw or "").strip()
        return "null", f"NULL ground truth ({shown!r})" if shown else "NULL ground truth (empty cell)", None, []
    canon = canonical_truth(kind, raw.strip())
    if canon is None:
        return "unparseable", f"unparseable {kind}: {raw.strip()!r}", None, []
    if row.text is None:
        return "no_text", f"no Item 1 text: {row.text_problem}", canon, []
    spans = find_evidence_chars(row.text, kind, canon)
    if not spans:
        forms = ", ".join(repr(f) for f in surface_forms(kind, canon))
        return "no_evidence", f"answer {canon!r} not found in the text (forms {forms})", canon, []
    return "usable", "", canon, spans


def _assess(rows: list[_Row], mapping: dict[str, str]
            ) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Per (row, question) status -> (sample records, counts, row exclusions, question exclusions)."""
    records: list[dict[str, Any]] = []
    counts = {q: dict.fromkeys(STATUSES, 0) for q in QUESTION_KEYS}
    row_excl: list[dict[str, Any]] = []
    q_excl: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for row in rows:
        sid = _sample_id(row.filename, row.line)
        if sid in used_ids:
            sid = f"{sid}-row{row.line}"
        used_ids.add(sid)
        answers: dict[str, str | None] = {}
        usable: dict[str, bool] = {}
        evidence: dict[str, list[list[int]]] = {}
        excluded: dict[str, str] = {}
        for q in QUESTION_KEYS:
            raw = row.values.get(mapping[q])
            status, reason, canon, spans = _question_status(row, q, raw)
            counts[q][status] += 1
            answers[q] = canon
            usable[q] = status == "usable"
            evidence[q] = [[a, b] for a, b in spans]
            if status != "usable":
                excluded[q] = reason
                q_excl.append({"line": row.line, "sample_id": sid, "question": q, "column": mapping[q],
                               "value": raw, "status": status, "reason": reason})
        if row.text is None:
            row_excl.append(_excluded_row(row, sid, row.text_problem_column, "no_text",
                                          f"no Item 1 text: {row.text_problem}"))
        elif not any(usable.values()):
            row_excl.append(_excluded_row(row, sid, None, "no_usable_question", "no usable question: "
                                          + "; ".join(f"{q}: {excluded[q]}" for q in QUESTION_KEYS)))
        else:
            records.append({
                "sample_id": sid, "source_line": row.line, "filename": row.filename, "cik": row.cik,
                "year": row.year, "company": row.company, "text": row.text, "answers": answers,
                "usable": usable, "evidence_chars": evidence, "excluded": excluded,
            })
    return records, counts, row_excl, q_excl


def _split(records: list[dict[str, Any]], test_size: float, random_state: int
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """``train_test_split`` of the records in CSV order; (train, test, error or None)."""
    if len(records) < 2:
        return [], [], f"only {len(records)} filing(s) with a usable question; a train/test split needs >= 2"
    from sklearn.model_selection import train_test_split

    try:
        train, test = train_test_split(records, test_size=test_size, random_state=random_state)
    except ValueError as exc:
        return [], [], f"cannot split {len(records)} filings with test_size={test_size!r}: {exc}"
    return list(train), list(test), None


def prepare(
    csv_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    corpus: str | os.PathLike | None = None,
    text_column: str | None = None,
    columns: Mapping[str, str] | None = None,
    join: str = "auto",
    test_size: float = 0.2,
    random_state: int = 42,
) -> PrepareResult:
    """Validate the ground truth against the Item 1 texts, split 80/20 and write splits + data report.

    ``corpus``: an EDGAR-CORPUS file or folder, or ``"hf"`` / ``"hf:<dataset id>"`` for the Hugging Face
    dataset; ``text_column``: a CSV column holding the text instead. ``columns`` maps question keys
    (``inc_state`` ...) and ``filename``/``cik``/``year``/``company`` to CSV column names. ``join``:
    ``auto``, ``filename`` or ``cik_year``. Raises :class:`DataError` for inputs that cannot be used
    at all; bad rows are excluded and reported.
    """
    csv_path = Path(csv_path)
    out = Path(out_dir)
    mapping = _resolve_columns(columns)
    if (corpus is None) == (text_column is None):
        raise DataError("give exactly one Item 1 text source: a corpus (file, folder or 'hf') or a text "
                        "column of the CSV" + ("" if corpus is None else ", not both"), file=csv_path)
    table = _read_csv(csv_path)
    for q in QUESTION_KEYS:
        _require(table, mapping[q], f"ground truth of {q}")
    if text_column is not None:
        _require(table, text_column, "the Item 1 text column")
        join_mode = "text_column"
    else:
        join_mode = _choose_join(table, mapping, join)

    rows, malformed = _parse_rows(table, mapping, join_mode)
    rows, duplicates = _drop_duplicates(rows, mapping)
    corpus_info = _attach_texts(rows, join_mode, mapping, csv_path, corpus, text_column)
    records, counts, row_exclusions, question_exclusions = _assess(rows, mapping)
    row_exclusions = sorted(malformed + duplicates + row_exclusions, key=lambda e: e["line"])
    question_exclusions.sort(key=lambda e: (e["line"], QUESTION_KEYS.index(e["question"])))
    train, test, split_error = _split(records, test_size, random_state)
    for q in QUESTION_KEYS:
        counts[q]["usable_train"] = sum(r["usable"][q] for r in train)
        counts[q]["usable_test"] = sum(r["usable"][q] for r in test)

    n_rows = len(table.rows)
    meta = {
        "generator": "harness.pipeline.prepare",
        "csv": {"path": str(csv_path.resolve()), "sha256": table.sha256},
        "text_source": _text_source_meta(join_mode, text_column, corpus_info),
        "columns": {k: mapping[k] for k in QUESTION_KEYS + ID_FIELDS},
        "join": join_mode,
        "split": {"method": "sklearn.model_selection.train_test_split", "test_size": test_size,
                  "random_state": random_state, "shuffle": True,
                  "unit": "filings with >= 1 usable question, in CSV order"},
        "counts": {
            "rows": n_rows, "rows_excluded": len({e["line"] for e in row_exclusions}),
            "samples": len(records), "train": len(train), "test": len(test),
            "per_question": counts,
        },
    }
    paths = {"train": out / _TRAIN_FILE, "test": out / _TEST_FILE,
             "md": out / _REPORT_MD, "json": out / _REPORT_JSON}
    report = {"meta": meta, "row_exclusions": row_exclusions, "question_exclusions": question_exclusions,
              "corpus_warnings": corpus_info.warnings if corpus_info else [],
              "split_error": split_error,
              "train_ids": [r["sample_id"] for r in train], "test_ids": [r["sample_id"] for r in test]}
    _atomic_write_text(paths["json"], json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    _atomic_write_text(paths["md"], _report_markdown(report))
    if split_error:
        raise DataError(f"{split_error}; see {paths['md']}", file=csv_path)
    for part, samples in (("train", train), ("test", test)):
        payload = {"meta": {**meta, "part": part, "n_samples": len(samples)}, "samples": samples}
        _atomic_write_text(paths[part], json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    return PrepareResult(
        out_dir=out, train_path=paths["train"], test_path=paths["test"], report_md=paths["md"],
        report_json=paths["json"], join=join_mode, n_rows=n_rows,
        n_rows_excluded=meta["counts"]["rows_excluded"], n_samples=len(records), n_train=len(train),
        n_test=len(test), per_question=counts, row_exclusions=row_exclusions,
        question_exclusions=question_exclusions,
    )


def _text_source_meta(join_mode: str, text_column: str | None, corpus: _Corpus | None) -> dict[str, Any]:
    if corpus is None:
        return {"kind": "csv_text_column", "column": text_column}
    meta: dict[str, Any] = {"kind": corpus.kind, "files": corpus.files, "sha256": corpus.sha256,
                            "records_scanned": corpus.n_scanned, "join": join_mode}
    if corpus.kind == "hf":
        meta["dataset"] = corpus.label
    else:
        meta["path"] = str(Path(corpus.label).resolve())
    return meta


# --------------------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------------------
def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _report_markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    counts = meta["counts"]
    src = meta["text_source"]
    lines = [
        "# Data report",
        "",
        "Generated by `harness.pipeline.prepare`; do not edit by hand.",
        "",
        f"- ground-truth CSV: `{meta['csv']['path']}` (sha256 `{meta['csv']['sha256']}`)",
    ]
    if src["kind"] == "csv_text_column":
        lines.append(f"- Item 1 text: CSV column `{src['column']}`")
    else:
        where = src.get("dataset") or src.get("path")
        sha = f" (sha256 `{src['sha256']}`)" if src.get("sha256") else ""
        lines.append(f"- Item 1 text: {src['kind']} `{where}`{sha}, joined on `{meta['join']}`, "
                     f"{src['records_scanned']} records scanned")
    split = meta["split"]
    lines += [
        f"- split: `train_test_split(test_size={split['test_size']}, random_state={split['random_state']})` "
        f"over {split['unit']}",
        "",
        "## Rows",
        "",
        "| CSV data rows | excluded rows | filings in the split | train | test |",
        "|---|---|---|---|---|",
        f"| {counts['rows']} | {counts['rows_excluded']} | {counts['samples']} | {counts['train']} "
        f"| {counts['test']} |",
        "",
        "## Questions",
        "",
        "Each (row, question) has one status, checked in this order: NULL, unparseable, no text, "
        "no evidence in the text, usable. Rows excluded as malformed or duplicate are not counted here.",
        "",
        "| question | column | NULL | unparseable | no text | no evidence | usable | usable (train) "
        "| usable (test) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for q, c in counts["per_question"].items():
        lines.append(f"| {q} | `{meta['columns'][q]}` | {c['null']} | {c['unparseable']} | {c['no_text']} "
                     f"| {c['no_evidence']} | {c['usable']} | {c['usable_train']} | {c['usable_test']} |")
    if report.get("split_error"):
        lines += ["", f"**No split written:** {_md(report['split_error'])}"]
    lines += ["", "## Excluded rows", ""]
    if report["row_exclusions"]:
        lines += ["| line | sample | column | reason |", "|---|---|---|---|"]
        lines += [f"| {e['line']} | {_md(e['sample_id'])} | {_md(e['column'])} | {_md(e['reason'])} |"
                  for e in report["row_exclusions"]]
    else:
        lines.append("None.")
    lines += ["", "## Excluded questions", ""]
    if report["question_exclusions"]:
        lines += ["| line | sample | question | column | value | reason |", "|---|---|---|---|---|---|"]
        lines += [f"| {e['line']} | {_md(e['sample_id'])} | {e['question']} | {_md(e['column'])} "
                  f"| {_md(e['value'])} | {_md(e['reason'])} |" for e in report["question_exclusions"]]
    else:
        lines.append("None.")
    if report.get("corpus_warnings"):
        lines += ["", "## Corpus warnings", ""] + [f"- {_md(w)}" for w in report["corpus_warnings"]]
    return "\n".join(lines) + "\n"
