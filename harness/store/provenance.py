"""What produced a result file: package versions, python, platform, device, git commit, time."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT

PROVENANCE_PACKAGES = ("torch", "transformers", "tokenizers", "numpy", "pandas", "scikit-learn", "scipy",
                       "rouge-score", "nltk", "safetensors", "accelerate", "gguf", "huggingface-hub", "flash-attn")


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
