"""The head-finding methods of the study: one registry, the only list of their names.

Names and labels are torch-free (the configuration, the analysis and the findings read them here); each
method's implementation is a module of :mod:`harness.methods` imported on demand by :func:`get_method`.
Adding a method means one module with a :class:`harness.methods.base.Method` and one entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class MethodInfo:
    """What the rest of the study knows about a method without running it."""

    name: str
    label: str  # for figures and FINDINGS
    source: str  # where the method comes from
    module: str  # the module holding its implementation (``METHOD``)


METHODS: dict[str, MethodInfo] = {m.name: m for m in (
    MethodInfo("summed_attention", "summed attention", "the study's own", "harness.methods.summed"),
    MethodInfo("wu24", "Wu24 retrieval score", "Wu et al. 2024, Retrieval Head", "harness.methods.wu24"),
    MethodInfo("qrhead", "QRHead", "Zhang et al. 2025, QRHead", "harness.methods.qrhead"),
)}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)


def method_label(name: str) -> str:
    """Readable name of a method (the name itself for one the registry does not know)."""
    info = METHODS.get(name)
    return info.label if info else name


def method_order(names) -> list[str]:
    """``names`` in the registry's order, unknown names last (sorted)."""
    found = set(names)
    return [m for m in METHOD_NAMES if m in found] + sorted(found - set(METHOD_NAMES))


def get_method(name: str):
    """The implementation of method ``name`` (a :class:`harness.methods.base.Method`)."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(METHOD_NAMES)}")
    return importlib.import_module(METHODS[name].module).METHOD
