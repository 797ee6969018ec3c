"""Where things are: the repository root and the shared read-only folder beside it (one definition each)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
GOLDEN_ENV = "SEC_HEADS_GOLDEN"


def golden_dir() -> Path:
    """The upstream golden vectors: ``$SEC_HEADS_GOLDEN`` or ``<repo>/../shared/golden``."""
    env = os.environ.get(GOLDEN_ENV)
    return Path(env) if env else SHARED_DIR / "golden"
