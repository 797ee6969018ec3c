"""The head-finding methods of the study: one registry, the only list of their names.

Names and labels are torch-free (the configuration, the analysis and the findings read them here); each
method's implementation is an object in a module of :mod:`harness.methods` imported on demand by
:func:`get_method`. Adding a method means one object implementing :class:`harness.methods.base.Method`
and one entry here.

The two summed-attention variants are two methods (``summed_context``: the whole context;
``summed_evidence``: the answer's evidence tokens only), both implemented in :mod:`harness.methods.summed`.
The name they replace, ``summed_attention``, is kept only as :data:`RETIRED_METHODS` so that the
configuration can say what to use instead.
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
    module: str  # the module holding its implementation
    attr: str = "METHOD"  # the implementing object's name in that module
    tie_break: str = ""  # the secondary ranking key, in words (ties on both keys: layer order)


METHODS: dict[str, MethodInfo] = {m.name: m for m in (
    MethodInfo("summed_context", "summed attention (context)", "the study's own", "harness.methods.summed",
               "CONTEXT", "the evidence-only summed attention of the same samples"),
    MethodInfo("summed_evidence", "summed attention (evidence)", "the study's own", "harness.methods.summed",
               "EVIDENCE", "the whole-context summed attention of the same samples"),
    MethodInfo("wu24", "Wu24 retrieval score", "Wu et al. 2024, Retrieval Head", "harness.methods.wu24",
               tie_break="the mean top-1 attention mass on the evidence during the answer"),
    MethodInfo("qrhead", "QRHead", "Zhang et al. 2025, QRHead", "harness.methods.qrhead",
               tie_break="the uncalibrated query-span attention mass on the gold paragraphs"),
)}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)
# Names no longer accepted, with the methods that replace them.
RETIRED_METHODS: dict[str, tuple[str, ...]] = {"summed_attention": ("summed_context", "summed_evidence")}


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
        hint = (f" ({name!r} was split into {' and '.join(RETIRED_METHODS[name])})"
                if name in RETIRED_METHODS else "")
        raise ValueError(f"unknown method {name!r}{hint}; expected one of {', '.join(METHOD_NAMES)}")
    info = METHODS[name]
    return getattr(importlib.import_module(info.module), info.attr)
