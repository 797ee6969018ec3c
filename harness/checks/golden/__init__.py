"""``python -m harness diff-upstream``: the study's ports against the upstream golden vectors.

The golden files record what the upstream research code computes on fixed inputs. Each *check* recomputes
those quantities with the study's code and returns one :class:`Row` per (case, quantity): the largest
difference, the tolerance it is held to, whether it passed and its margin. Modules:

- :mod:`~harness.checks.golden.rows`: the row type, the tolerance table, the comparators, the table;
- :mod:`~harness.checks.golden.registry`: register / unregister / run the checks;
- :mod:`~harness.checks.golden.files`: the golden directory and its readers;
- :mod:`~harness.checks.golden.pure`: the checks that need no model (registered on import of this package);
- :mod:`~harness.checks.golden.models`: the checks that run a model (registered by :func:`load_model_checks`).

``python -m harness diff-upstream`` (``--list``, ``--check NAME``, ``--no-model``, ``--golden DIR``) prints
the table and exits 1 when any row failed, 2 on bad usage.
"""

from harness.checks.golden import pure  # noqa: F401  (importing it registers the model-free checks)
from harness.checks.golden.files import GOLDEN_ENV, golden_dir, load_json, load_tensors, load_torch_tensors
from harness.checks.golden.registry import (
    MODEL_CHECK_MODULES,
    CheckFn,
    load_model_checks,
    needs_model,
    register,
    registered,
    run_checks,
    unregister,
)
from harness.checks.golden.rows import (
    MODEL_TOLERANCES,
    TOLERANCES,
    Row,
    abs_row,
    close_row,
    exact_row,
    format_margin,
    format_table,
    mismatches,
    ranking_rows,
    tightest,
)

__all__ = [
    "GOLDEN_ENV", "MODEL_CHECK_MODULES", "MODEL_TOLERANCES", "TOLERANCES", "CheckFn", "Row", "abs_row",
    "close_row", "exact_row", "format_margin", "format_table", "golden_dir", "load_json", "load_model_checks",
    "load_tensors", "load_torch_tensors", "mismatches", "needs_model", "ranking_rows", "register",
    "registered", "run_checks", "tightest", "unregister",
]
