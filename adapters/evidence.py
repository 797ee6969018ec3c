"""Evidence spans ("needles"): where a filing's text states the ground-truth answer.

An evidence span is a half-open character span ``[start, end)`` of the text holding one surface
form of the canonical answer:

- states: the full name ("Delaware"; title case or ALL CAPS, word boundaries; "State of Delaware" and
  "Commonwealth of Virginia" are covered because they contain the name), and the two-letter postal code
  only where it reads as part of an address ("Milpitas, CA", "Austin, TX 78701", "Las Vegas, NV through"),
  so "CA" inside words or as another acronym is not matched. Mentions that name something else are
  skipped: "Virginia" inside "West Virginia", "Washington, D.C.", "Kansas City".
- years: the 4-digit year with digit boundaries, not the integer part of a decimal ("1998.5").
- counts: "12,500" and "12500", and for round large numbers "2.3 million" / "12.5 thousand"; a match
  must not be part of a longer number ("1,500" does not hold 500), a dollar amount ("$12,500"), a
  percentage ("12%"), a plan name ("401(k)"), a word ("A320"), a form name ("10-K", "S-8"), a phone
  number ("540-3700"), or a label ("Note 8", "Suite 300", "June 15").

``char_spans_to_token_spans`` maps those spans to token spans with a fast tokenizer's offset mapping.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import lru_cache

from adapters.answers import canonical_state, state_surface_forms

_KINDS = ("state", "year", "count")

# Mentions of a state name that refer to something else; the group "name" is the state name inside the
# longer phrase, and a match of the name at that position is dropped.
_STATE_NAME_TRAPS: dict[str, re.Pattern[str]] = {
    "Virginia": re.compile(r"\b(?:West|WEST)\s+(?P<name>Virginia|VIRGINIA)\b"),
    "Washington": re.compile(r"\b(?P<name>Washington|WASHINGTON),?\s*(?:D\.\s?C\.|DC\b)"),
    "Kansas": re.compile(r"\b(?P<name>Kansas|KANSAS)\s+(?:City|CITY)\b"),
}

# After a postal code in an address: a ZIP code, the end of the line, punctuation, or a lower-case word
# ("Las Vegas, NV through December", "Concord, CA and Budd Lake, NJ").
_POSTAL_AFTER = r"(?=[ \t]+\d{5}(?:-\d{4})?(?!\d)|[ \t]*$|[ \t]*[.,;:!?)\]'\"\u2019\u201d]|[ \t]+[a-z])"
# Before it: a word (the city) and ", ". Codes that are also words ("IN", "OR", "ME", "OK", "HI", "OH",
# "ID", "CO") need a lower-case letter there, i.e. a city name not in an ALL-CAPS heading.
_POSTAL_BEFORE = r"(?<=[A-Za-z.], )"
_POSTAL_BEFORE_AMBIGUOUS = r"(?<=[a-z.], )"
_AMBIGUOUS_CODES = frozenset({"IN", "OR", "ME", "OK", "HI", "OH", "ID", "CO"})

_COUNT_BEFORE = r"(?<![\w$])(?<!\d[.,])(?<!\$ )(?<![A-Za-z]-)(?<!\d-)"
_COUNT_AFTER = r"(?!\w)(?![.,]\d)(?!-[A-Z])(?!-\d)(?!\s*%)(?!\s+percent\b)(?!\([a-z]\))"
# A number right after one of these words is a label, not a head count ("Note 8", "Suite 300", "June 15").
_COUNT_LABEL_BEFORE = re.compile(
    r"(?:\b(?:Item|Note|Section|Rule|Part|Form|Exhibit|Schedule|Article|Chapter|Title|Suite|Level|Tier|"
    r"Series|Phase|Class|Route|Highway|Floor|Unit|Room|Box|No|Nos)\.?|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
    r"Sep|Sept|Oct|Nov|Dec)[a-z]*\.?|#)\s*$",
    re.IGNORECASE,
)


def _canonical_count(truth: str) -> int:
    text = str(truth).strip().replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        raise ValueError(f"count truth must be a non-negative integer, got {truth!r}")
    return int(text)


def _canonical_year(truth: str) -> str:
    text = str(truth).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not (len(text) == 4 and text.isdigit()):
        raise ValueError(f"year truth must be a 4-digit year, got {truth!r}")
    return text


def _decimal(value: int, unit: int) -> str:
    """``value / unit`` written with the fewest decimals ("2.3", "12.5", "2")."""
    whole, rest = divmod(value, unit)
    if rest == 0:
        return str(whole)
    digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _state_forms(truth: str) -> tuple[str, list[str], list[str]]:
    """(canonical name, full-name forms, postal-code forms) for a state."""
    name = canonical_state(truth)
    if name is None:
        raise ValueError(f"not a U.S. state: {truth!r}")
    forms = list(state_surface_forms(name))
    postal = [f for f in forms if len(f) == 2 and f.isalpha() and f.isupper()]
    names = [f for f in forms if f not in postal]
    if name not in names:
        names.insert(0, name)
    full: list[str] = []
    for form in names:
        for variant in (form, form.upper()):
            if variant not in full:
                full.append(variant)
    if name == "District of Columbia" and "D.C." not in full:
        full.append("D.C.")
    return name, full, postal


def surface_forms(kind: str, truth: str) -> list[str]:
    """The strings that state ``truth`` in a filing, most typical first.

    ``surface_forms("state", "Delaware") == ["Delaware", "DELAWARE", "DE"]``,
    ``surface_forms("count", "12500") == ["12,500", "12500", "12.5 thousand"]``,
    ``surface_forms("year", "1998") == ["1998"]``. The postal code of a state only counts as evidence in an
    address context (see ``find_evidence_chars``).
    """
    if kind == "state":
        _, full, postal = _state_forms(truth)
        return full + postal
    if kind == "year":
        return [_canonical_year(truth)]
    if kind == "count":
        return _count_forms(_canonical_count(truth))
    raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(_KINDS)}")


def _count_forms(n: int) -> list[str]:
    forms = [f"{n:,}", str(n)]
    if n >= 1_000_000 and n % 10_000 == 0:
        forms.append(f"{_decimal(n, 1_000_000)} million")
    if 1000 <= n < 1_000_000 and n % 100 == 0:
        forms.append(f"{_decimal(n, 1000)} thousand")
    return list(dict.fromkeys(forms))


@lru_cache(maxsize=256)
def _patterns(kind: str, truth: str) -> tuple[tuple[re.Pattern[str], ...], str | None]:
    """Compiled patterns for one answer, and the canonical state name (for states)."""
    if kind == "state":
        name, full, postal = _state_forms(truth)
        pats = []
        for form in full:  # words may be split by any whitespace ("North\nCarolina")
            body = r"\s+".join(re.escape(word) for word in form.split())
            pats.append(re.compile(rf"(?<!\w){body}" + (r"(?!\w)" if form[-1].isalnum() else "")))
        for code in postal:
            before = _POSTAL_BEFORE_AMBIGUOUS if code in _AMBIGUOUS_CODES else _POSTAL_BEFORE
            pats.append(re.compile(rf"{before}{re.escape(code)}{_POSTAL_AFTER}", re.M))
        return tuple(pats), name
    if kind == "year":
        year = _canonical_year(truth)
        return (re.compile(rf"(?<!\d){year}(?!\d)(?!\.\d)"),), None
    if kind == "count":
        pats = []
        for form in _count_forms(_canonical_count(truth)):
            if " " in form:
                number, word = form.split(" ")
                body = rf"{re.escape(number)}[ \t\u00a0]+{word}\b"
                pats.append(re.compile(rf"{_COUNT_BEFORE}{body}", re.I))
            else:
                pats.append(re.compile(rf"{_COUNT_BEFORE}{re.escape(form)}{_COUNT_AFTER}"))
        return tuple(pats), None
    raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(_KINDS)}")


def _trapped(text: str, start: int, name: str | None) -> bool:
    """True when the state name matched at ``start`` is part of a phrase that names something else."""
    trap = _STATE_NAME_TRAPS.get(name or "")
    if trap is None:
        return False
    lo = max(0, start - 16)
    window = text[lo : start + 40]
    return any(lo + m.start("name") == start for m in trap.finditer(window))


def find_evidence_chars(text: str, kind: str, truth: str) -> list[tuple[int, int]]:
    """Every occurrence of a surface form of ``truth`` in ``text`` as half-open char spans.

    Sorted and non-overlapping (where two forms overlap the earlier, then longer, one wins).
    Raises ValueError if ``truth`` is not a valid canonical answer of ``kind``.
    """
    if not text:
        return []
    patterns, name = _patterns(kind, str(truth))
    found: list[tuple[int, int]] = []
    for pat in patterns:
        for m in pat.finditer(text):
            if m.end() > m.start() and not (kind == "state" and _trapped(text, m.start(), name)):
                found.append((m.start(), m.end()))
    if kind == "count":
        found = [(a, b) for a, b in found if not _COUNT_LABEL_BEFORE.search(text, max(0, a - 12), a)]
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end))
    return spans


class TokenIndex:
    """One sequence's token offsets (a fast tokenizer's ``offset_mapping``), indexed once so that many char
    spans map to token spans quickly (:meth:`token_spans`; rules in :func:`char_spans_to_token_spans`)."""

    def __init__(self, offsets: Sequence[Sequence[int]]) -> None:
        self.n_tokens = len(offsets)
        self._toks = [(i, int(a), int(b)) for i, (a, b) in enumerate(offsets) if int(b) > int(a)]
        self._starts = [a for _, a, _ in self._toks]
        self._ends = [b for _, _, b in self._toks]
        self._monotone = all(self._starts[i] <= self._starts[i + 1] and self._ends[i] <= self._ends[i + 1]
                             for i in range(len(self._toks) - 1))

    def __len__(self) -> int:
        return self.n_tokens

    def token_spans(self, spans: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
        """Half-open token spans ``[first, last + 1)``, one per half-open char span."""
        toks, out = self._toks, []
        for s, e in spans:
            s, e = int(s), int(e)
            if self._monotone:
                lo = bisect.bisect_right(self._ends, s)  # first token ending after s
                hi = bisect.bisect_left(self._starts, e) if e > s else lo  # tokens starting before e
                hit = (toks[lo][0], toks[hi - 1][0] + 1) if hi > lo else None
                after = toks[lo][0] if lo < len(toks) else self.n_tokens
            else:
                hits = [i for i, a, b in toks if a < e and b > s] if e > s else []
                hit = (min(hits), max(hits) + 1) if hits else None
                after = min((i for i, _, b in toks if b > s), default=self.n_tokens)
            out.append(hit or (after, after))
        return out


def char_spans_to_token_spans(
    offsets: Sequence[Sequence[int]], spans: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """Map half-open char spans to half-open token spans ``[first, last + 1)``, one per input span.

    ``offsets`` is a fast tokenizer's ``offset_mapping`` for one sequence (``(start, end)`` per token).
    A token belongs to a span if it covers any character of it; empty offsets such as the ``(0, 0)``
    of special tokens are ignored. The result is parallel to ``spans`` (index i belongs to span i);
    a span no token covers (an empty span, or one outside the tokenized text) maps to the empty token
    span ``(t, t)`` at the first token ending after its start (``len(offsets)`` if none), so it
    holds no token but keeps the indices of the other spans.
    """
    return TokenIndex(offsets).token_spans(spans)
