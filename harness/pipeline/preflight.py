"""Before any model work: the packages a run's steps need, checked up front.

A missing package must stop a run at its start, naming the package and how to install it, not minutes
later in the middle of a step (a GPU image without ``rouge-score`` used to lose its whole detection run
and then crash in the ablation step). :func:`missing_packages` lists what a configuration's steps need
and is not importable; :func:`check_packages` raises :class:`MissingPackageError` with one line per
package.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from harness.paths import REPO_ROOT

LOCK_FILE = REPO_ROOT / "requirements.lock"


class MissingPackageError(RuntimeError):
    """Packages a run needs are not installed; the message lists them with the command that installs them."""


@dataclass(frozen=True)
class Need:
    """One package a step needs: the module it is imported as, its PyPI name, why, and the project's extra
    that installs it (``pip install -e .[extra]``; empty for the packages of requirements.lock)."""

    module: str
    package: str
    why: str
    extra: str = ""


_ROUGE = "ROUGE-1 recall of every ablation answer (and the Wu24 `rouge` gate)"
STEP_NEEDS: dict[str, tuple[Need, ...]] = {
    "prepare": (Need("sklearn", "scikit-learn", "the 80/20 train_test_split"),),
    "detect": (Need("torch", "torch", "every model forward pass"),
               Need("transformers", "transformers", "loading the models")),
    "ablate": (Need("torch", "torch", "every model forward pass"),
               Need("transformers", "transformers", "loading the models"),
               Need("rouge_score", "rouge-score", _ROUGE), Need("nltk", "nltk", f"rouge-score's stemmer ({_ROUGE})"),
               Need("absl", "absl-py", f"rouge-score's logging ({_ROUGE})"),
               Need("six", "six", f"rouge-score's imports ({_ROUGE})")),
    "figures": (Need("matplotlib", "matplotlib", "drawing the figures"), Need("pandas", "pandas", "the tables")),
    "report": (Need("pandas", "pandas", "the tables"), Need("scipy", "scipy", "rank correlations of head scores")),
}


def config_needs(cfg, steps: Iterable[str]) -> list[Need]:
    """Packages the given steps need under ``cfg`` (an ExperimentConfig), beyond the steps' own."""
    steps = set(steps)
    out: list[Need] = []
    if "prepare" in steps and any(str(d.corpus or "").startswith("hf") for d in cfg.datasets):
        out.append(Need("datasets", "datasets", "reading Item 1 texts from the Hugging Face EDGAR-CORPUS "
                                                "(a data set with \"corpus\": \"hf\")", extra="hf"))
    model_steps = steps & {"detect", "ablate"}
    if model_steps and cfg.wu24_gate == "rouge":
        out += [Need("rouge_score", "rouge-score", "the Wu24 `rouge` success gate"),
                Need("nltk", "nltk", "rouge-score's stemmer (Wu24 `rouge` gate)")]
    if model_steps and any(m.attn == "flash_attention_2" for m in cfg.models):
        out.append(Need("flash_attn", "flash-attn", "a model with attn = flash_attention_2"))
    if model_steps and any(m.device != "cpu" for m in cfg.models):
        out.append(Need("accelerate", "accelerate", "placing a model on a GPU (device_map)"))
    return out


@lru_cache(maxsize=1)
def _pins() -> dict[str, str]:
    """PyPI name (lower case, '-' for '_') -> pinned version, from requirements.lock."""
    pins: dict[str, str] = {}
    if LOCK_FILE.is_file():
        for line in LOCK_FILE.read_text().splitlines():
            m = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", line.strip())
            if m:
                pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def install_hint(package: str, extra: str = "") -> str:
    """``pip install -e .[EXTRA]`` for a package of an extra, else ``pip install NAME==VERSION`` with the
    lock's version when it pins one."""
    if extra:
        return f"pip install -e .[{extra}]"
    version = _pins().get(package.lower().replace("_", "-"))
    return f"pip install {package}=={version}" if version else f"pip install {package}"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def all_needs(cfg, steps: Iterable[str]) -> list[Need]:
    """Every package ``steps`` of a run under ``cfg`` need (each once, in step order)."""
    steps = list(steps)
    needs = [n for s in steps for n in STEP_NEEDS.get(s, ())] + config_needs(cfg, steps)
    seen: set[str] = set()
    out = []
    for need in needs:
        if need.package not in seen:
            seen.add(need.package)
            out.append(need)
    return out


def missing_packages(cfg, steps: Iterable[str]) -> list[Need]:
    """What ``steps`` of a run under ``cfg`` need and cannot import (each package once, in step order)."""
    return [n for n in all_needs(cfg, steps) if not _importable(n.module)]


def missing_extras(cfg, steps: Iterable[str]) -> list[str]:
    """The project's extras (``hf``) that would install what ``steps`` under ``cfg`` need and is missing."""
    return sorted({n.extra for n in missing_packages(cfg, steps) if n.extra})


def check_packages(cfg, steps: Iterable[str]) -> None:
    """Raise :class:`MissingPackageError` when a package ``steps`` need is missing (before any model work)."""
    missing = missing_packages(cfg, steps)
    if not missing:
        return
    lines = [f"  - {n.package} (import {n.module}): needed for {n.why}; "
             f"install: {install_hint(n.package, n.extra)}" for n in missing]
    raise MissingPackageError("this run needs packages that are not installed (nothing was run):\n"
                              + "\n".join(lines)
                              + "\n`make setup` installs every pinned package of requirements.lock (and, with "
                                "CONFIG=<this config>, the extras it needs); on a GPU image without internet, carry "
                                "the wheels (pip download) and install them with --no-index")
