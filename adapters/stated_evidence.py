"""Evidence that states the fact: which occurrences of the answer are a (filing, question)'s evidence.

Two rules, tried in this order (the rule that found a sample's evidence is recorded per question):

- ``verified_sentence``: the corpus carries a hand-verified evidence sentence for the (filing, answer column):
  its text, its character offset in the Item 1 text and the answer's surface string in it ("Boston,
  Massachusetts", "Commonwealth of Virginia", "12,500"). That sentence wins: the evidence is its occurrences
  of the surface, narrowed to the surface forms of the ground truth inside them (``adapters.evidence``:
  "Massachusetts" inside "Boston, Massachusetts"; the whole surface where no form lies inside). A verified
  sentence that is not in the text, lacks its surface, or gives another answer than the ground truth is not
  used (a warning says why) and the next rule decides.
- ``cue_sentence``: the occurrences of a surface form of the ground truth that lie in a sentence of the text
  whose cue states the question's fact (``adapters.cues``). A bare mention ("workforce by 2030", a list of
  markets) is not evidence; neither is a state name that begins another proper name ("New York Stock
  Exchange", "Texas Instruments").

Statuses: ``usable`` (evidence found), ``no_evidence`` (the answer does not occur in the text at all),
``no_stating_sentence`` (it occurs, but in no sentence that states the fact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from adapters.answers import canonical_truth
from adapters.cues import cue_words, states_fact
from adapters.evidence import find_evidence_chars, surface_forms
from adapters.questions import get_question
from adapters.sentences import sentence_of, text_sentences

Span = tuple[int, int]
VERIFIED_SENTENCE = "verified_sentence"
CUE_SENTENCE = "cue_sentence"
STATING_RULES = (VERIFIED_SENTENCE, CUE_SENTENCE)

# Capitalised words that may follow a state name that still names the state ("a Delaware Corporation",
# "Nevada Revised Statutes", "New York City", "Virginia Beach"); any other one makes it part of another name.
_STATE_NAME_GOES_ON = frozenset({"Corporation", "Corporations", "Company", "Limited", "General", "Business",
                                 "Statutory", "Law", "Laws", "Code", "Revised", "State", "Beach", "City"})
_CITY_ELSEWHERE = frozenset({"Kansas", "Nevada", "Michigan", "Virginia"})  # "Nevada City" lies in California
_NEXT_WORD = re.compile(r"[ \t]+([A-Z][A-Za-z]*)")


@dataclass(frozen=True)
class VerifiedSentence:
    """A hand-verified evidence sentence: the sentence, its char offset in the text, the answer's surface."""

    sentence: str
    offset: int
    surface: str
    answer: str | None = None  # the answer the verifier wrote (any form the ground truth accepts)


@dataclass
class StatedEvidence:
    """The evidence chosen for one (filing, question), or why there is none."""

    status: str  # "usable" | "no_evidence" | "no_stating_sentence"
    spans: list[Span] = field(default_factory=list)  # half-open char spans of the text
    sentences: list[Span] = field(default_factory=list)  # the sentence holding each span (parallel)
    rule: str | None = None  # one of STATING_RULES when usable
    reason: str = ""  # why not usable
    warnings: list[str] = field(default_factory=list)  # e.g. why a verified sentence was not used


@lru_cache(maxsize=4)
def _sentences(text: str) -> tuple[Span, ...]:
    return tuple(text_sentences(text))


def _verified(text: str, kind: str, truth: str, v: VerifiedSentence) -> tuple[list[Span], Span] | str:
    """(spans, sentence span) from a verified sentence, or the reason it cannot be used."""
    if v.answer is not None and canonical_truth(kind, v.answer) != truth:
        return f"its answer {v.answer!r} is not the ground truth {truth!r}"
    n = len(v.sentence)
    start = v.offset if n and text[v.offset : v.offset + n] == v.sentence else text.find(v.sentence) if n else -1
    if start < 0:
        return "the sentence does not occur in the text"
    surface = [(start + m.start(), start + m.end()) for m in re.finditer(re.escape(v.surface), v.sentence)] \
        if v.surface else []
    if not surface:
        return f"its surface {v.surface!r} does not occur in the sentence"
    forms = [s for s in find_evidence_chars(text, kind, truth) if any(a <= s[0] and s[1] <= b for a, b in surface)]
    return forms or surface, (start, start + n)


def _names_something_else(text: str, span: Span, truth: str) -> bool:
    """A title-case state name followed (same line) by a capitalised word that makes it another name."""
    word = text[span[0] : span[1]]
    if len(word) <= 2 or word.isupper():
        return False
    m = _NEXT_WORD.match(text, span[1])
    if m is None:
        return False
    nxt = m.group(1)
    return nxt not in _STATE_NAME_GOES_ON or (nxt == "City" and truth in _CITY_ELSEWHERE)


def _snippet(text: str, span: Span, width: int = 40) -> str:
    a, b = max(0, span[0] - width), min(len(text), span[1] + width)
    return " ".join(text[a:b].split())


def _cue_evidence(text: str, question: str, kind: str, truth: str) -> StatedEvidence:
    """The ``cue_sentence`` rule (and the ``no_evidence`` / ``no_stating_sentence`` statuses)."""
    found = find_evidence_chars(text, kind, truth)
    if not found:
        forms = ", ".join(repr(f) for f in surface_forms(kind, truth))
        return StatedEvidence("no_evidence", reason=f"answer {truth!r} not found in the text (forms {forms})")
    sentences = _sentences(text)
    spans: list[Span] = []
    holders: list[Span] = []
    for span in found:
        if kind == "state" and _names_something_else(text, span, truth):
            continue
        sent = sentence_of(sentences, span)
        if sent is not None and states_fact(text, sent, span, question):
            spans.append(span)
            holders.append(sent)
    if spans:
        return StatedEvidence("usable", spans, holders, CUE_SENTENCE)
    what = get_question(question).short
    return StatedEvidence("no_stating_sentence", reason=(
        f"answer {truth!r} occurs {len(found)} time(s) in the text but in no sentence that states the {what} "
        f"(cues: {cue_words(question)}); first: {_snippet(text, found[0])!r}"))


def stated_evidence(text: str, question: str, truth: str, verified: VerifiedSentence | None = None
                    ) -> StatedEvidence:
    """The evidence of ``question`` (a key of ``adapters.questions``) for the canonical answer ``truth``.

    ``verified``: the corpus's verified sentence for this (filing, question), if any (rules in the module
    docstring). Raises ValueError if ``truth`` is not a canonical answer of the question's kind.
    """
    kind = get_question(question).kind
    warnings: list[str] = []
    if verified is not None:
        got = _verified(text, kind, truth, verified)
        if not isinstance(got, str):
            spans, sentence = got
            return StatedEvidence("usable", spans, [sentence] * len(spans), VERIFIED_SENTENCE)
        warnings.append(f"verified sentence not used: {got}")
    out = _cue_evidence(text, question, kind, truth)
    out.warnings = warnings + out.warnings
    return out
