"""Split a filing's context into paragraphs (QRHead's documents) and find the gold ones.

Real EDGAR Item 1 extracts have no blank lines: one paragraph, heading or table cell per line. So the text
is split on line breaks; headings and very short lines (shorter than ``min_chars`` characters, or not
ending in sentence-final punctuation) are merged into the next piece (a trailing one into the previous
piece); text with no line breaks falls back to groups of ``sentences_per_group`` sentences.

Paragraph spans are half-open character spans ``(start, end)`` into the text, sorted and disjoint. Each
starts and ends on a non-whitespace character, no span is empty, and every non-whitespace character of
the text lies in exactly one span (the line breaks and spaces between paragraphs belong to none, as the
separators between documents in QRHead's prompt).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from adapters.sentences import LINE_RE, sentence_spans, trim_span

MIN_CHARS = 60
SENTENCES_PER_GROUP = 3

# Sentence-final punctuation, optionally followed by closing quotes or brackets.
_FINAL = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


def _is_fragment(text: str, span: tuple[int, int], min_chars: int) -> bool:
    """A heading or very short line: shorter than ``min_chars`` or without sentence-final punctuation."""
    piece = text[span[0] : span[1]]
    return len(piece) < min_chars or _FINAL.search(piece) is None


def _group(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    return [(spans[i][0], spans[min(i + size, len(spans)) - 1][1]) for i in range(0, len(spans), size)]


def split_paragraphs(
    text: str, min_chars: int = MIN_CHARS, sentences_per_group: int = SENTENCES_PER_GROUP
) -> list[tuple[int, int]]:
    """Paragraph char spans of ``text`` (see the module docstring for the rules and guarantees)."""
    if min_chars < 0 or sentences_per_group < 1:
        raise ValueError("min_chars must be >= 0 and sentences_per_group >= 1")
    lines = [t for m in LINE_RE.finditer(text) if (t := trim_span(text, m.start(), m.end()))]
    if not lines:
        return []
    if len(lines) == 1:  # no line breaks inside the text: groups of sentences
        return _group(sentence_spans(text, *lines[0]), sentences_per_group)
    pieces: list[tuple[int, int]] = []
    pending: int | None = None  # start of fragments waiting for the next piece
    for span in lines:
        start = span[0] if pending is None else pending
        if _is_fragment(text, span, min_chars):
            pending = start
            continue
        pieces.append((start, span[1]))
        pending = None
    if pending is not None:  # trailing fragments join the previous piece, or stand alone
        if pieces:
            pieces[-1] = (pieces[-1][0], lines[-1][1])
        else:
            pieces.append((pending, lines[-1][1]))
    return pieces


def gold_paragraphs(
    par_spans: Sequence[Sequence[int]], evidence_char_spans: Sequence[Sequence[int]]
) -> list[int]:
    """Indices (sorted, unique) of the paragraphs that overlap at least one evidence char span.

    Both arguments are half-open char spans; an evidence span crossing a paragraph boundary marks both.
    """
    gold: set[int] = set()
    for k, (ev_start, ev_end) in enumerate(evidence_char_spans):
        if ev_end <= ev_start:
            raise ValueError(f"evidence span {k} ({ev_start}, {ev_end}) is empty")
        for i, (p_start, p_end) in enumerate(par_spans):
            if p_start < ev_end and ev_start < p_end:
                gold.add(i)
    return sorted(gold)
