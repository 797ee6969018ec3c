"""Sentences of a filing's text as character spans: lines first, then sentence ends inside each line.

Real Item 1 extracts hold one paragraph, heading or table cell per line, so a sentence never crosses a line
break. Inside a line a sentence ends at ``.``, ``!`` or ``?`` (plus closing quotes or brackets) followed by
whitespace and a capital letter, a digit or an opening quote; a period after a common abbreviation ("Inc.",
"U.S.", "Sept.") or an initial ("J. Smith") ends nothing. Spans are half-open ``(start, end)``, trimmed to
their first and last non-whitespace characters, sorted and disjoint.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

Span = tuple[int, int]

# Line separators as str.splitlines understands them.
LINE_RE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_NON_SPACE = re.compile(r"\S")
# A sentence end: final punctuation (+ closers) followed by whitespace and a sentence start.
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]*[A-Z0-9])")
# Words that end with a period without ending a sentence (lower-cased, without the final period).
_ABBREVIATIONS = frozenset(
    {
        "inc", "corp", "co", "ltd", "llc", "l.p", "lp", "plc", "no", "nos", "mr", "mrs", "ms", "dr", "st",
        "jr", "sr", "u.s", "u.s.a", "u.k", "e.g", "i.e", "etc", "vs", "approx", "dept", "jan", "feb", "mar",
        "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "sec", "art", "ave", "blvd",
        "n.a", "s.a", "n.v",
    }
)
# Company suffixes: in a whole text, "..., Inc. On September 27, 2023, ..." ends a sentence when the next word
# is one that opens sentences.
_COMPANY_SUFFIXES = frozenset({"inc", "corp", "co", "ltd", "llc", "l.p", "lp", "plc", "n.a", "s.a", "n.v"})
_OPENERS = frozenset({"On", "In", "The", "We", "Our", "During", "As", "It", "Its", "This", "These", "Since",
                      "At", "From", "Effective", "Prior", "Following", "After", "Before", "Each", "They", "Their"})


def trim_span(text: str, start: int, end: int) -> Span | None:
    """Shrink ``[start, end)`` to its first and last non-whitespace characters; None if blank."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return None
    last = end
    while text[last - 1].isspace():
        last -= 1
    return first.start(), last


def _ends_after_suffix(text: str, at: int) -> bool:
    m = re.match(r"[\"')\]]*\s+([A-Z][a-z]*)\b", text[at + 1 : at + 40])
    return bool(m) and m.group(1) in _OPENERS


def sentence_spans(text: str, start: int = 0, end: int | None = None, openers: bool = False) -> list[Span]:
    """Trimmed sentence spans of ``text[start:end]``, read as one line (no line-break handling).

    ``openers``: a company suffix ("Inc.") ends a sentence when a sentence-opening word follows ("Inc. On").
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if text[match.start()] == ".":
            word = re.search(r"(\S*)$", text[cursor : match.start()])
            token = (word.group(1) if word else "").lower().lstrip("(\"'\u201c\u2018[")
            suffix_ends = openers and token in _COMPANY_SUFFIXES and _ends_after_suffix(text, match.start())
            if (token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token)) and not suffix_ends:
                continue  # "Inc. The", "U.S. Steel", initials "J. Smith"
        trimmed = trim_span(text, cursor, match.end())
        if trimmed:
            spans.append(trimmed)
        cursor = match.end()
    trimmed = trim_span(text, cursor, end)
    if trimmed:
        spans.append(trimmed)
    return spans


def text_sentences(text: str) -> list[Span]:
    """Every sentence of a whole text: its lines, each split by :func:`sentence_spans` (with ``openers``)."""
    out: list[Span] = []
    for m in LINE_RE.finditer(text):
        out.extend(sentence_spans(text, m.start(), m.end(), openers=True))
    return out


def sentence_of(sentences: Sequence[Span], span: Sequence[int]) -> Span | None:
    """The sentence (from :func:`text_sentences`, sorted) that holds the char span ``span`` whole, or None."""
    i = bisect.bisect_right([s for s, _ in sentences], int(span[0])) - 1
    if i >= 0 and sentences[i][0] <= span[0] and span[1] <= sentences[i][1]:
        return sentences[i]
    return None
