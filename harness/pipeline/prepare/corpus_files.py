"""EDGAR-CORPUS files and folders: ``.jsonl``, ``.json`` and ``.parquet`` records.

A line of a ``.jsonl`` file that is not JSON, or not a JSON object, is skipped and listed (file, line, reason)
in :attr:`Corpus.skipped_lines` for the data report; with ``strict`` it raises :class:`DataError` instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from harness.pipeline.prepare.corpus import Corpus, add_record, required_fields
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.input_files import decode_utf8, read_input_bytes
from harness.store.keys import file_sha256

CORPUS_SUFFIXES = (".jsonl", ".json", ".parquet")
BadLine = Callable[[Path, int, str], None]  # (file, line, reason) of a skipped line


def iter_jsonl(path: Path, on_bad_line: BadLine | None = None) -> Iterator[tuple[str, Any]]:
    """``("file:line", record)`` of every non-blank line of a JSON-lines file.

    A line that is not JSON or not a JSON object goes to ``on_bad_line`` and is skipped; without one, bad
    JSON raises :class:`DataError` (a non-object is yielded, for the caller to judge).
    """
    line_no = 0
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):  # noqa: B007 (line_no is read after the loop)
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    if on_bad_line is None:
                        raise DataError(f"malformed JSON: {exc.msg} (char {exc.colno})", file=path,
                                        line=line_no) from exc
                    on_bad_line(path, line_no, f"malformed JSON: {exc.msg} (char {exc.colno})")
                    continue
                if on_bad_line is not None and not isinstance(obj, dict):
                    on_bad_line(path, line_no, f"not a JSON object ({type(obj).__name__})")
                    continue
                yield f"{path}:{line_no}", obj
    except UnicodeDecodeError as exc:
        raise DataError(f"corpus file is not UTF-8 text ({exc.reason})", file=path, line=line_no + 1) from exc
    except OSError as exc:
        raise DataError(f"cannot read corpus file: {exc.strerror or exc}", file=path) from exc


def _iter_json(path: Path, on_bad_line: BadLine | None) -> Iterator[tuple[str, Any]]:
    raw = read_input_bytes(path, "corpus file")
    text = decode_utf8(path, raw, "corpus file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON lines saved as .json
            yield from iter_jsonl(path, on_bad_line)
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


def _records_of(file: Path, required: Sequence[str], on_bad_line: BadLine | None) -> Iterable[tuple[str, Any]]:
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        return iter_jsonl(file, on_bad_line)
    if suffix == ".json":
        return _iter_json(file, on_bad_line)
    return _iter_parquet(file, required)


def _corpus_sha256(path: Path, files: list[Path]) -> str:
    if not path.is_dir():
        return file_sha256(path)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(path).as_posix()}\0{file_sha256(f)}\n".encode())
    return digest.hexdigest()


def skipped_line(file: Path, line: int, reason: str) -> dict[str, Any]:
    """The data report's entry for a skipped input line."""
    return {"file": str(file), "line": line, "reason": reason}


def load_corpus_path(path: Path, join: str, wanted: set, strict: bool = False) -> Corpus:
    """Read a corpus file, or every corpus file of a folder (sorted, hidden ones skipped), for ``join``.

    ``strict``: a malformed JSON line raises :class:`DataError`; otherwise it is skipped and listed.
    """
    if not path.exists():
        raise DataError("corpus not found", file=path)
    files = _corpus_files(path)
    corpus = Corpus(label=str(path), kind="folder" if path.is_dir() else "file",
                    files=[str(f.relative_to(path)) if path.is_dir() else f.name for f in files],
                    sha256=None, records={})
    required = required_fields(join)
    seen_fields: set[str] = set()
    on_bad_line = None if strict else lambda f, n, why: corpus.skipped_lines.append(skipped_line(f, n, why))
    for file in files:
        for where, obj in _records_of(file, required, on_bad_line):
            add_record(corpus, where, obj, join, wanted, seen_fields, file)
    if corpus.n_scanned == 0:
        raise DataError("the corpus holds no records", file=path)
    for col in required:
        if col not in seen_fields:
            raise DataError(f"no corpus record has the field (join {join!r} needs {', '.join(required)})",
                            file=path, column=col)
    corpus.sha256 = _corpus_sha256(path, files)
    return corpus
