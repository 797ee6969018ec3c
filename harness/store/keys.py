"""Keys of units of work: canonical JSON of a configuration and its sha256; file and data hashes."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


def _canonical(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return _canonical(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_canonical(v) for v in obj)
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():  # numpy / torch scalars
        return _canonical(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"config_key: cannot serialise {type(obj).__name__} {obj!r}")


def canonical_json(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) of a unit's configuration."""
    return json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def config_key(unit: Any) -> str:
    """Stable sha256 (hex) of the canonical JSON of a unit's full configuration."""
    return hashlib.sha256(canonical_json(unit).encode("utf-8")).hexdigest()


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
