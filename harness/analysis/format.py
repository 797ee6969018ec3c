"""How numbers, names and Markdown look in FINDINGS.md (and the mask wording shared with the figures).

Accuracies are shown in % and differences in pp with one decimal; Jaccard indices, depths, shares and
correlations with two; Jaccard values expected by chance with three. Anything not finite reads "n/a".
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from adapters.questions import QUESTIONS
from harness.analysis.loading import model_kind
from harness.analysis.verdicts import Effect, drop_effect
from harness.methods.registry import method_label

MASK_TEXT = {"uniform": "uniform (head's query zeroed)", "zero": "zero (head output zeroed)"}
SCOPE_TEXT = {"decode": "decode (prompt prefill unmasked)", "all": "all (every position masked)"}


# -------------------------------------------------------------------------------------------- numbers


def fixed(x: float | None, digits: int) -> str:
    """``x`` with ``digits`` decimals ('n/a' when missing or not finite; never '-0.0')."""
    if x is None or not np.isfinite(x):
        return "n/a"
    v = round(float(x), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{v:.{digits}f}"


def pct(x: float) -> str:
    """An accuracy in percent: one decimal."""
    return fixed(x, 1)


def pp(x: float) -> str:
    """A difference of accuracies in percentage points: one decimal."""
    return fixed(x, 1)


def tenths(x: float) -> str:
    """A mean count or layer number, or a multiple of chance: one decimal."""
    return fixed(x, 1)


def ratio(x: float) -> str:
    """A Jaccard index, depth, share or correlation: two decimals."""
    return fixed(x, 2)


def chance_ratio(x: float) -> str:
    """A Jaccard index expected by chance (small): three decimals."""
    return fixed(x, 3)


def share_of_heads(pct_heads: float) -> str:
    """A k as a share of the model's heads: '1.1%' (two significant digits below 1%: '0.98%')."""
    if pct_heads is None or not np.isfinite(pct_heads):
        return "n/a"
    return f"{pct_heads:.2g}%" if 0 < pct_heads < 1 else f"{fixed(pct_heads, 1)}%"


def k_heads(k: int, pct_heads: float) -> str:
    """'k = 3 (1.1% of heads)'."""
    return f"k = {int(k)} ({share_of_heads(pct_heads)} of heads)"


def interval(center: float, low: float, high: float) -> str:
    """'-66.7 [-88.9, -44.4]': a difference in pp with its interval."""
    return f"{pp(center)} [{pp(low)}, {pp(high)}]"


def p_value(p: float) -> str:
    """'p < 0.001' / 'p = 0.042' / 'p n/a'."""
    if p is None or not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def threshold(alpha: float) -> str:
    """A significance threshold: two significant digits."""
    return f"{alpha:.2g}"


def n_range(values: Iterable[int]) -> str:
    """'40' when all values are equal, else '20 to 40'."""
    vals = [int(v) for v in values]
    lo, hi = min(vals), max(vals)
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


# ----------------------------------------------------------------------------------------------- words


def question_name(q: str) -> str:
    """Readable question name ('incorporation state')."""
    return QUESTIONS[q].short


def method_name(m: str) -> str:
    """Readable method name (the registry's label)."""
    return method_label(m)


def model_heading(model: str, info: dict) -> str:
    """'### name (instruct)': the heading of a model's block (``info``: its model_info)."""
    return f"### {model} ({model_kind(info)})"


def cap(text: str) -> str:
    """First letter upper-case."""
    return text[:1].upper() + text[1:]


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def drop_phrase(drop_pp: float) -> str:
    """'lowered accuracy by 12.5 pp' / 'raised accuracy by 2.5 pp' / 'left accuracy unchanged (0.0 pp)'."""
    effect = drop_effect(drop_pp)
    if effect is Effect.UNDETERMINED:
        return "had an undetermined effect on accuracy"
    if effect is Effect.UNCHANGED:
        return "left accuracy unchanged (0.0 pp)"
    return f"{effect.value} accuracy by {pp(abs(drop_pp))} pp"


def mask_semantics(modes: Sequence[str], scopes: Sequence[str]) -> str:
    """'mask uniform (head's query zeroed), scope decode (prompt prefill unmasked)'."""
    m = "/".join(MASK_TEXT.get(x, x) for x in sorted(set(modes))) or "?"
    s = "/".join(SCOPE_TEXT.get(x, x) for x in sorted(set(scopes))) or "?"
    return f"mask {m}, scope {s}"


# -------------------------------------------------------------------------------------------- Markdown


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


class Links:
    """Relative Markdown links from a Markdown file to a run's figures and tables."""

    def __init__(self, fig_dir: Path, out_path: Path) -> None:
        self.fig_dir = fig_dir
        self.base = out_path.parent

    def link(self, path: Path, text: str | None = None) -> str:
        """``[text](relative/path)``, marked when the file has not been drawn yet."""
        rel = Path(os.path.relpath(path, self.base)).as_posix()
        label = text or path.name
        suffix = "" if path.exists() else " (not drawn yet: run `python -m harness figures --run <run>`)"
        return f"[{label}]({rel}){suffix}"
