"""The one atomic writer: every result, checkpoint, table and report is written through here.

Every write goes to a temporary file in the target's folder, is flushed and fsync'ed, then renamed over
the final name (``os.replace``), so a crash or Ctrl-C at any moment leaves either the old file or the
new one under the final name, never a partial one; a killed writer's temporary file is removed on the
next run (:func:`remove_stale_tmp`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

TMP_MARK = ".tmp-"


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform / file system allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (tmp file in the same folder + fsync + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt included: never leave the tmp file behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path


def publish_dir(tmp: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Rename a fully written folder ``tmp`` to ``final`` in one step (readers see all of it or none)."""
    final = Path(final)
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    return final


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> Path:
    """Write JSON atomically (keys in insertion order, UTF-8, trailing newline). NaN is written as null."""
    text = json.dumps(json_safe(obj), indent=indent, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def atomic_write_csv(path: str | os.PathLike, rows: Iterable[Mapping[str, Any]],
                     fieldnames: Sequence[str]) -> Path:
    """Write a CSV (header + rows, '\\n' line ends) atomically; missing fields are left empty."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fieldnames), lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for row in rows:
        w.writerow(row)
    return atomic_write_text(path, buf.getvalue())


def json_safe(obj: Any) -> Any:
    """Plain-JSON copy: numpy/torch scalars -> Python, tuples -> lists, Paths -> str, NaN/inf -> None."""
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays / scalars, torch tensors
        return json_safe(obj.tolist())
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    return obj


def read_json(path: str | os.PathLike) -> Any:
    """Parse a JSON file (raises ValueError naming the file when it is not valid JSON)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: line {e.lineno}, column {e.colno}: invalid JSON: {e.msg}") from e


def remove_stale_tmp(root: str | os.PathLike) -> int:
    """Delete temporary files a killed writer left under ``root``; returns how many."""
    n = 0
    for p in Path(root).rglob(f".*{TMP_MARK}*"):
        if p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n
