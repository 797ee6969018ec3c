"""Golden-check rows: the one :class:`Row` type, the one tolerance table, the comparators and the table.

A golden check compares a quantity the study's code recomputes with what the upstream code recorded and
returns one :class:`Row` per (case, quantity): the largest difference, the tolerance it is held to, whether
it passed and its *margin* (how much of the tolerance the worst element uses). The comparators here build
rows from values (:func:`exact_row`, :func:`close_row`, :func:`ranking_rows`) or from a difference already
computed (:func:`abs_row`); :func:`format_table` prints them as ``python -m harness diff-upstream`` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The tolerances the golden vectors are published with, number for number (a test compares them with the
# golden directory's own table). Never loosen these.
TOLERANCES: dict[str, float] = {
    "exact_float": 1e-12,  # Wu24 retrieval_score, ROUGE P/R/F, head_counter, QRHead crafted A2
    "qrhead_A1_per_doc": 1e-7,
    "qrhead_A1b_A1c_score_docs": 1e-6,
    "tiny_attention": 2e-4,  # attention rows, top-k values, summed attention
    "tiny_logits": 1e-3,
    "smol_attention": 3e-5,
    "smol_logits": 5e-4,  # compare by id
    "C_head_out_tiny": 1e-4,  # C step0_head_out, step0_value_mean (and step0_query)
    "C_head_out_smol": 3e-5,
    "C_blocked_equals_mean_v": 1e-5,
    "qrhead_per_token_smol": 5e-6,
    "qrhead_per_token_tiny": 2e-5,
    "qrhead_per_doc_abs": 1e-5,
    "qrhead_per_doc_rel": 1e-4,
    "qrhead_per_doc_fragile_abs": 5e-3,
    "qrhead_ranking": 1e-5,  # QRScore abs; order checked only where the adjacent gap exceeds it
}
# The same numbers by model size, for the checks that run a model (cases B, C, D, E).
MODEL_TOLERANCES: dict[str, dict[str, float]] = {
    "tiny": {"attn": TOLERANCES["tiny_attention"], "logits": TOLERANCES["tiny_logits"],
             "head_out": TOLERANCES["C_head_out_tiny"], "pts": TOLERANCES["qrhead_per_token_tiny"]},
    "smol": {"attn": TOLERANCES["smol_attention"], "logits": TOLERANCES["smol_logits"],
             "head_out": TOLERANCES["C_head_out_smol"], "pts": TOLERANCES["qrhead_per_token_smol"]},
}


@dataclass(frozen=True)
class Row:
    """One compared quantity of one golden case.

    ``max_abs_diff`` is the largest absolute difference over the compared (not skipped) elements; for
    discrete quantities (ids, spans, strings, booleans, exception names, orders) it is the number of
    mismatching elements. ``tolerance`` is a human-readable rule ("exact", "abs 1e-07", ...). ``margin``
    is how much of the tolerance the worst element uses (its difference / its allowed difference): a row
    passes with a margin <= 1, and one near 1 passes by a hair. Exact rows have margin 0 (equal) or inf.
    """

    case: str
    quantity: str
    max_abs_diff: float
    tolerance: str
    passed: bool
    note: str = ""
    margin: float = math.nan


# ---------------------------------------------------------------------------------------------- comparators


def mismatches(got: Any, want: Any) -> int:
    """Number of mismatching elements of two (nested) values compared exactly."""
    if isinstance(got, dict) and isinstance(want, dict):
        return sum(mismatches(got.get(k), want.get(k)) if k in got and k in want else 1
                   for k in set(got) | set(want))
    seq = (list, tuple, np.ndarray)
    if isinstance(got, seq) and isinstance(want, seq):
        got_l, want_l = list(got), list(want)
        overlap = sum(mismatches(g, w) for g, w in zip(got_l, want_l, strict=False))
        return overlap + abs(len(got_l) - len(want_l))
    if isinstance(got, (np.generic,)):
        got = got.item()
    if isinstance(want, (np.generic,)):
        want = want.item()
    return 0 if (type(got) is type(want) or both_numbers(got, want)) and got == want else 1


def both_numbers(a: Any, b: Any) -> bool:
    """Whether both are ints or floats (booleans excluded): 1 and 1.0 compare equal, True and 1 do not."""
    num = (int, float)
    return isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool)


def exact_row(case: str, quantity: str, got: Any, want: Any, note: str = "") -> Row:
    """Exact comparison of ids, spans, strings, booleans or nested lists/dicts of them."""
    n = mismatches(got, want)
    return Row(case, quantity, float(n), "exact", n == 0, note, 0.0 if n == 0 else math.inf)


def abs_row(case: str, quantity: str, diff: float, atol: float, note: str = "") -> Row:
    """A row for an already computed max abs difference against an absolute tolerance (``atol`` 0: exact)."""
    diff = float(diff)
    if atol == 0:
        return Row(case, quantity, diff, "exact", diff == 0, note, 0.0 if diff == 0 else math.inf)
    ok = bool(math.isfinite(diff) and diff <= atol)
    margin = diff / atol if math.isfinite(diff) else math.inf
    return Row(case, quantity, diff, f"abs {atol:g}", ok, note, margin)


def close_row(
    case: str,
    quantity: str,
    got: Any,
    want: Any,
    atol: float,
    rtol: float = 0.0,
    skip: np.ndarray | None = None,
    note: str = "",
) -> Row:
    """Numeric comparison: passes where ``|got - want| <= atol + rtol * |want|`` on every element not in
    ``skip``."""
    tol = f"abs {atol:g}" + (f" + rel {rtol:g}" if rtol else "")
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return Row(case, quantity, math.inf, tol, False, f"shape {g.shape} != golden {w.shape}", math.inf)
    keep = np.ones(w.shape, dtype=bool) if skip is None else ~np.asarray(skip, dtype=bool)
    both_nan = np.isnan(g) & np.isnan(w)
    diff = np.where(both_nan, 0.0, np.abs(g - w))
    diff = np.where(np.isnan(diff), np.inf, diff)
    allowed = atol + rtol * np.abs(w)
    ok = diff <= allowed
    passed = bool(np.all(ok | ~keep))
    max_diff = float(diff[keep].max()) if keep.any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(diff == 0, 0.0, diff / allowed)
    margin = float(used[keep].max()) if keep.any() else 0.0
    if skip is not None:
        n_skip = int((~keep).sum())
        note = (note + "; " if note else "") + f"{n_skip} fragile element(s) skipped"
    return Row(case, quantity, max_diff, tol, passed, note, margin)


def ranking_rows(
    case: str, got: Sequence[Sequence[Any]], want: Sequence[Sequence[Any]], atol: float,
    order_gap: float | None,
) -> list[Row]:
    """Compare rankings ``[(head_id, score), ...]``: scores by head id (``atol``) and the order.

    ``order_gap=None`` demands the identical order; otherwise only adjacent golden pairs whose score gap
    exceeds ``order_gap`` must keep their relative order.
    """
    got_scores = {str(h): float(s) for h, s in got}
    want_scores = {str(h): float(s) for h, s in want}
    if set(got_scores) != set(want_scores):
        diff = len(set(got_scores) ^ set(want_scores))
        return [Row(case, "ranking heads", float(diff), "exact", False, "head sets differ", math.inf)]
    heads = [str(h) for h, _ in want]
    rows = [close_row(case, "ranking scores", [got_scores[h] for h in heads], [want_scores[h] for h in heads],
                      atol)]
    if order_gap is None:
        rows.append(exact_row(case, "ranking order", [str(h) for h, _ in got], heads))
    else:
        pos = {str(h): i for i, (h, _) in enumerate(got)}
        checked = violations = 0
        for (h1, s1), (h2, s2) in zip(want, want[1:], strict=False):
            if float(s1) - float(s2) > order_gap:
                checked += 1
                violations += pos[str(h1)] > pos[str(h2)]
        rows.append(Row(case, "ranking order", float(violations), f"exact where gap > {order_gap:g}",
                        violations == 0, f"{checked} of {len(want) - 1} adjacent pairs checked",
                        0.0 if violations == 0 else math.inf))
    return rows


# ---------------------------------------------------------------------------------------------- table


def tightest(rows: Sequence[Row], n: int = 3) -> list[Row]:
    """The ``n`` rows that use most of their tolerance (largest margin), tightest first."""
    scored = [r for r in rows if not math.isnan(r.margin)]
    return sorted(scored, key=lambda r: -r.margin)[:n]


def format_margin(margin: float) -> str:
    """A margin as text: ``0.34``, ``0`` or ``inf``."""
    if math.isnan(margin):
        return "-"
    return "0" if margin == 0 else f"{margin:.2g}"


def format_table(rows: Sequence[Row]) -> str:
    """Plain-text table, one line per row (margin = max abs diff / tolerance), with summary lines."""
    header = ("case", "quantity", "max_abs_diff", "tolerance", "margin", "result", "note")
    body = [(r.case, r.quantity, f"{r.max_abs_diff:.3g}", r.tolerance, format_margin(r.margin),
             "pass" if r.passed else "FAIL", r.note) for r in rows]
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(6)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line[:6], widths, strict=True)) + "  " + line[6]
             for line in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_fail = sum(not r.passed for r in rows)
    lines.append(f"{len(rows)} rows, {len(rows) - n_fail} passed, {n_fail} failed")
    close = tightest([r for r in rows if r.passed])
    if close:
        lines.append("closest to their tolerance (margin = max abs diff / tolerance): "
                     + "; ".join(f"{r.case} {r.quantity} {format_margin(r.margin)}" for r in close))
    return "\n".join(line.rstrip() for line in lines)
