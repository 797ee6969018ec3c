"""Runs that survive: result files keyed by their configuration, the run log, file names of units.

A result file carries the ``config_key`` of the configuration that produced it; :meth:`UnitStore.is_done`
accepts a file only when it parses and its key matches, so a changed setting re-runs exactly the units it
affects. Writes go through :mod:`harness.store.atomic`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.store.atomic import atomic_write_json, json_safe
from harness.store.keys import canonical_json
from harness.store.provenance import provenance


def model_slug(name: str) -> str:
    """File-name form of a model alias, hub id or path: '/' -> '--', other unsafe characters -> '_'."""
    slug = str(name).strip().replace("\\", "/").strip("/").replace("/", "--")
    return re.sub(r"[^A-Za-z0-9._-]", "_", slug) or "_"


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
        line = canonical_json(json_safe(entry)) + "\n"
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
