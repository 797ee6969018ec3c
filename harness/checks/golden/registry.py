"""The registry of golden checks: register, unregister, list, run.

A check is ``fn(golden_dir) -> list[Row]``, registered under a name with :func:`register` (directly or as
a decorator). The model-free checks register when :mod:`harness.checks.golden` is imported; the checks that
run a model register when their module is imported, which :func:`load_model_checks` does on demand so that
importing the package stays cheap (no torch model code).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.checks.golden.rows import Row
from harness.paths import golden_dir

CheckFn = Callable[[Path], list[Row]]

# Modules whose import registers the checks that run a model (``needs_model=True``).
MODEL_CHECK_MODULES: list[str] = ["harness.checks.golden.models"]


@dataclass(frozen=True)
class _Check:
    fn: CheckFn
    needs_model: bool


_REGISTRY: dict[str, _Check] = {}


def register(name: str, fn: CheckFn | None = None, *, needs_model: bool = False) -> Any:
    """Register check ``name``: ``fn(golden_dir) -> list[Row]``. Usable directly or as a decorator.

    Registering the same function again under its name is a no-op; another function under a taken name
    is a ValueError.
    """

    def add(f: CheckFn) -> CheckFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not f:
            raise ValueError(f"an upstream-diff check named {name!r} is already registered")
        _REGISTRY[name] = _Check(f, needs_model)
        return f

    return add(fn) if fn is not None else add


def unregister(name: str) -> None:
    """Remove check ``name`` (KeyError when no such check is registered)."""
    del _REGISTRY[name]


def needs_model(name: str) -> bool:
    """Whether check ``name`` runs a model."""
    return _REGISTRY[name].needs_model


def registered(include_model: bool = True) -> list[str]:
    """Names of the registered checks, in registration order."""
    return [n for n, c in _REGISTRY.items() if include_model or not c.needs_model]


def load_model_checks() -> None:
    """Register the checks that run a model (importing their modules; a second call changes nothing)."""
    for module in MODEL_CHECK_MODULES:
        importlib.import_module(module)


def run_checks(names: Iterable[str] | None = None, golden: Path | None = None,
               include_model: bool = True) -> list[Row]:
    """Run the named checks (default: all registered) and return their rows; a check that raises
    yields one failed row carrying the exception. KeyError for names that are not registered."""
    golden = golden or golden_dir()
    selected = list(names) if names is not None else registered(include_model)
    unknown = [n for n in selected if n not in _REGISTRY]
    if unknown:
        raise KeyError(f"unknown upstream-diff check(s) {unknown}; registered: {registered()}")
    rows: list[Row] = []
    for name in selected:
        try:
            rows.extend(_REGISTRY[name].fn(golden))
        except Exception as err:  # report, never hide: the row fails
            rows.append(Row(name, "(check raised)", math.nan, "-", False, f"{type(err).__name__}: {err}",
                            math.inf))
    return rows
