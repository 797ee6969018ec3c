"""The converted-model cache folder: where it is, a lock per conversion, removal of a killed run's leftovers.

Root: ``$SEC_HEADS_CACHE``, default ``<repo>/.cache/models``. It holds one folder per converted GGUF (see
:mod:`harness.engine.models.aliases` and :mod:`harness.engine.models.gguf_convert`) and ``hashes/``, the weights-hash memos
of :func:`harness.engine.models.weights.weights_hash`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from harness.paths import REPO_ROOT


def cache_root() -> Path:
    """Root of the converted-model cache: ``$SEC_HEADS_CACHE`` or ``<repo>/.cache/models``."""
    env = os.environ.get("SEC_HEADS_CACHE")
    return Path(env).expanduser().resolve() if env else REPO_ROOT / ".cache" / "models"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock (POSIX flock) so two processes never convert the same model at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        except ImportError:  # no flock (Windows): the os.replace at the end still keeps the cache whole
            pass
        yield


def clean_stale_tmp(root: Path, prefix: str) -> None:
    """Remove the temporary folders ``root/.tmp-<prefix>-*`` that a killed conversion left behind."""
    for p in root.glob(f".tmp-{prefix}-*"):
        shutil.rmtree(p, ignore_errors=True)
