"""Where the golden vectors are and how to read them (JSON, and safetensors as numpy or torch arrays).

The golden directory is ``$SEC_HEADS_GOLDEN`` when set, else ``golden/`` in the shared folder beside the
repository (:func:`harness.paths.golden_dir`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from harness.paths import GOLDEN_ENV, golden_dir

__all__ = ["GOLDEN_ENV", "golden_dir", "load_json", "load_tensors", "load_torch_tensors"]


def load_json(name: str, golden: Path | None = None) -> Any:
    """Parse golden file ``name`` (e.g. ``"A_wu24_pure.json"``)."""
    with open((golden or golden_dir()) / name, encoding="utf-8") as f:
        return json.load(f)


def load_tensors(name: str, golden: Path | None = None) -> dict[str, np.ndarray]:
    """Load golden safetensors file ``name`` as numpy arrays."""
    from safetensors.numpy import load_file

    return load_file(str((golden or golden_dir()) / name))


def load_torch_tensors(name: str, golden: Path | None = None) -> dict[str, Any]:
    """Load golden safetensors file ``name`` as torch tensors (for the checks that run a model)."""
    from safetensors.torch import load_file

    return load_file(str((golden or golden_dir()) / name))
