"""Runs that survive: atomic result files keyed by their configuration, a skip log, provenance.

Every write goes to a temporary file in the target's folder, is flushed and fsync'ed, then renamed over
the final name (``os.replace``), so a crash or Ctrl-C at any moment leaves either the old file or the
new one under the final name, never a partial one. A result file carries the ``config_key`` of the
configuration that produced it; :meth:`UnitStore.is_done` accepts a file only when it parses and its key
matches, so a changed setting re-runs exactly the units it affects.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import platform
import re
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.config import canonical_json, config_key

REPO_ROOT = Path(__file__).resolve().parents[1]
TMP_MARK = ".tmp-"
PROVENANCE_PACKAGES = ("torch", "transformers", "tokenizers", "numpy", "pandas", "scikit-learn", "scipy",
                       "rouge-score", "nltk", "safetensors", "accelerate", "gguf", "huggingface-hub", "flash-attn")


# ---------------------------------------------------------------------------------------- atomic writes


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


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> Path:
    """Write JSON atomically (keys in insertion order, UTF-8, trailing newline). NaN is written as null."""
    text = json.dumps(_json_safe(obj), indent=indent, ensure_ascii=False, allow_nan=False)
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


def _json_safe(obj: Any) -> Any:
    """Plain-JSON copy: numpy/torch scalars -> Python, tuples -> lists, Paths -> str, NaN/inf -> None."""
    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays / scalars, torch tensors
        return _json_safe(obj.tolist())
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


# ------------------------------------------------------------------------------------------- hashing


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def data_hash(records: Any) -> str:
    """sha256 of the canonical JSON of ``records`` (e.g. a split's samples): order and content matter."""
    return config_key(records)


# ------------------------------------------------------------------------------------------ provenance


def model_slug(name: str) -> str:
    """File-name form of a model alias, hub id or path: '/' -> '--', other unsafe characters -> '_'."""
    slug = str(name).strip().replace("\\", "/").strip("/").replace("/", "--")
    return re.sub(r"[^A-Za-z0-9._-]", "_", slug) or "_"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@lru_cache(maxsize=1)
def git_state() -> dict[str, Any]:
    """{"commit": sha or None (no git / no commit yet), "dirty": bool or None}."""
    commit = _git("rev-parse", "--verify", "-q", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or None, "dirty": None if status is None else bool(status)}


def _package_versions() -> dict[str, str | None]:
    import importlib.metadata

    out: dict[str, str | None] = {}
    for name in PROVENANCE_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@lru_cache(maxsize=1)
def _static_provenance() -> dict[str, Any]:
    device: dict[str, Any] = {"cpu": _cpu_name(), "cpu_count": os.cpu_count()}
    if "torch" in sys.modules or _has_torch():
        import torch

        device["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            device["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            device["cuda_version"] = torch.version.cuda
    return {
        "packages": _package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "device": device,
        "git": git_state(),
    }


def _has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def provenance() -> dict[str, Any]:
    """Package versions, python, platform, device names, git commit (+ dirty flag) and a UTC timestamp."""
    return {**_static_provenance(), "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")}


# ------------------------------------------------------------------------------------------ unit store


class UnitStore:
    """Result files of one run (``results/<run>``): paths, done-checks under a config key, a skip log."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.log_path = self.root / "run_log.jsonl"

    def path_for(self, kind: str, method: str, model: str, question: str) -> Path:
        """``<root>/<kind>/<method>/<model_slug>__<question>.json``."""
        return self.root / kind / method / f"{model_slug(model)}__{question}.json"

    def is_done(self, path: str | os.PathLike, key: str) -> bool:
        """True when ``path`` exists, parses as JSON and records ``config_key == key``."""
        p = Path(path)
        if not p.is_file():
            return False
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("config_key") == key

    def write(self, path: str | os.PathLike, payload: Mapping[str, Any], key: str) -> Path:
        """Write ``payload`` + ``config_key`` + ``provenance`` atomically to ``path``."""
        record = {**payload, "config_key": key, "provenance": provenance()}
        return atomic_write_json(path, record)

    def log(self, status: str, why: str, **extra: Any) -> None:
        """Append one line to ``run_log.jsonl``: {time, status (done/skipped/note/...), why, ...}."""
        entry = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "status": status,
                 "why": why, **extra}
        line = canonical_json(_json_safe(entry)) + "\n"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a crash tore the last line: start a new one
                line = "\n" + line
            os.write(fd, line.encode("utf-8"))  # one write() of an O_APPEND file: lines never interleave
            os.fsync(fd)
        finally:
            os.close(fd)

    def read_log(self) -> list[dict[str, Any]]:
        """Entries of the run log (a torn last line from a crash is skipped)."""
        if not self.log_path.is_file():
            return []
        out = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out
