"""Weights hashing and the stamp file: what identifies a local model folder's weights.

A result records ``revision_or_hash``: for a local folder, the sha256 of its weights files. Hashing a 1 GB
file takes seconds, so the hash is kept beside the files' sizes and mtimes: in the folder's stamp
(``sec_heads_stamp.json``, written by a GGUF conversion) or in a memo under ``<cache>/hashes/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.engine.models.cache import cache_root
from harness.engine.models.errors import ModelLoadError
from harness.store.atomic import atomic_write_json
from harness.store.keys import file_sha256

STAMP_NAME = "sec_heads_stamp.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def weight_files(folder: Path) -> list[Path]:
    """The weights files directly in ``folder`` (by suffix), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def weights_signature(files: list[Path]) -> dict[str, list[int]]:
    """``{file name: [size, mtime_ns]}``: what must stay the same for a remembered hash to be reused."""
    return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}


def combine_hashes(hashes: dict[str, str]) -> str:
    """One file: its sha256. Several: sha256 of the sorted "name sha256" lines."""
    if len(hashes) == 1:
        return next(iter(hashes.values()))
    lines = "".join(f"{name} {h}\n" for name, h in sorted(hashes.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def _sorted_keys(obj: Any) -> Any:
    """A copy with every mapping's keys in sorted order (the stamp and memo files are written that way)."""
    if isinstance(obj, Mapping):
        return {k: _sorted_keys(obj[k]) for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [_sorted_keys(v) for v in obj]
    return obj


def read_stamp(folder: Path) -> dict[str, Any] | None:
    """The folder's stamp (a GGUF conversion's record), or None when it has none or it cannot be read."""
    try:
        return json.loads((folder / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None


def write_stamp(folder: Path, stamp: Mapping[str, Any]) -> Path:
    """Write ``stamp`` as the folder's stamp file (atomically, keys sorted); returns its path."""
    return atomic_write_json(folder / STAMP_NAME, _sorted_keys(stamp))


def weights_hash(folder: str | os.PathLike) -> str:
    """sha256 of a model folder's weights files, computed once and cached (keyed by path, sizes, mtimes)."""
    folder = Path(folder).resolve()
    files = weight_files(folder)
    if not files:
        raise ModelLoadError(f"{folder}: no weights files ({', '.join(WEIGHT_SUFFIXES)}) to hash")
    signature = weights_signature(files)
    stamp = read_stamp(folder)
    if stamp and stamp.get("weights_signature") == signature and stamp.get("weights_sha256"):
        return str(stamp["weights_sha256"])
    memo = cache_root() / "hashes" / (hashlib.sha256(str(folder).encode()).hexdigest()[:24] + ".json")
    if memo.is_file():
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(memo.read_text())
            if data.get("path") == str(folder) and data.get("signature") == signature:
                return str(data["sha256"])
    digest = combine_hashes({p.name: file_sha256(p) for p in files})
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
        atomic_write_json(memo, _sorted_keys({"path": str(folder), "signature": signature, "sha256": digest}))
    return digest

