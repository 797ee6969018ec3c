"""Compare two runs' result files: does a code change leave the results as they were?

``python -m harness compare-runs RUN_A RUN_B`` walks two result folders (``results/<run>``) and compares every
file that carries results: the detection and ablation unit files, the per-filing checkpoints, the answers CSVs,
the run manifest and the figure tables (every number FINDINGS.md quotes comes from them). What legitimately
differs between two runs of the same configuration is left out: ``provenance`` (timestamps, git commit,
host), other timestamps, and absolute paths (both roots are replaced by ``<run>``, the repository by
``<repo>``). FINDINGS.md (prose that names commands and files), figures (PNG/PDF) and the run log are not
compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT

IGNORED_KEYS = frozenset({"provenance", "timestamp", "time"})
# Result files by where they are under a data set's folder (relative paths, POSIX).
COMPARED = (re.compile(r"^(detection|ablation|cache)/.+\.(json|csv)$"), re.compile(r"^figures/tables/.+\.csv$"),
            re.compile(r"^run_manifest\.json$"))


def _normalise(obj: Any, roots: tuple[str, ...]) -> Any:
    if isinstance(obj, dict):
        return {k: _normalise(v, roots) for k, v in obj.items() if k not in IGNORED_KEYS}
    if isinstance(obj, list):
        return [_normalise(v, roots) for v in obj]
    if isinstance(obj, str):
        for root in roots:
            obj = obj.replace(root, "<run>")
        return obj.replace(str(REPO_ROOT), "<repo>")
    return obj


def result_files(run: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every compared file under ``run``, sorted."""
    for p in sorted(run.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        rel = p.relative_to(run).as_posix()
        inner = rel.split("/", 1)[1] if "/" in rel else rel  # under the data set's folder
        if any(pat.match(inner) for pat in COMPARED):
            yield rel, p


def _content(path: Path, roots: tuple[str, ...]) -> Any:
    text = path.read_text(encoding="utf-8")
    return _normalise(json.loads(text) if path.suffix == ".json" else text, roots)


def compare_runs(a: Path, b: Path) -> list[str]:
    """Differences between two result folders, one line each (empty: the results are identical)."""
    a, b = Path(a).resolve(), Path(b).resolve()
    roots = (str(a), str(b))
    files_a, files_b = dict(result_files(a)), dict(result_files(b))
    out = [f"only in {a}: {rel}" for rel in sorted(set(files_a) - set(files_b))]
    out += [f"only in {b}: {rel}" for rel in sorted(set(files_b) - set(files_a))]
    for rel in sorted(set(files_a) & set(files_b)):
        if _content(files_a[rel], roots) != _content(files_b[rel], roots):
            out.append(f"differs: {rel}")
    return out


def count_files(run: Path) -> int:
    """How many files :func:`compare_runs` compares under ``run``."""
    return sum(1 for _ in result_files(Path(run)))
