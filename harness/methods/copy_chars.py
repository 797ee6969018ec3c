"""Wu24's copy credit by characters (``wu24_copy: chars``, the study's default).

Upstream credits a head when its top-1 key holds the same token *id* as the token being generated. That
fails whenever the answer is tokenized differently from the evidence: Llama-3 writes a filing's
``" Delaware"`` as one token (the leading space belongs to it), but an instruct answer starts a line, so it
generates ``Del``, ``aware``; no id ever matches. This rule compares characters instead:

1. Evidence text. For each evidence token span ``[s, e)`` the characters of the surface form of the answer
   that its tokens hold (``"Delaware"``, ``"26,420"``, ``"DE"``), found in the prompt text through the
   tokenizer's char offsets (the prompt is re-encoded once with offsets; its ids must equal the prompt's).
2. Alignment. The generated text (decoded, special tokens skipped) is searched for that evidence text:
   whitespace runs match any whitespace run, letters match regardless of case, and the match must not touch
   a letter or digit on either side. A hit maps every non-whitespace character of the answer's copy to the
   prompt character it copies. An answer holding none of its spans' evidence texts is *not a copy* (e.g.
   ``"26420"`` for ``"26,420"``, ``"DE"`` for ``"Delaware"``): it gets no score and the sample is excluded
   with that reason, never counted as a zero.
3. Credit. At step ``t`` the generated token's characters that copy the evidence map to prompt characters;
   the evidence tokens holding them are the step's targets (whitespace and text outside the copy have
   none). A head whose top-1 key is one of the targets is credited with every target token it was not
   credited with before, ``1 / (e - s)`` each: each evidence token counts at most once per head and sample,
   so a head that follows the copy (``Del`` and ``aware`` both from ``" Delaware"``, or ``" 12,500"`` from
   ``12``, ``,``, ``500``) scores exactly 1.0.
4. Several evidence spans (the answer occurs more than once in the context): every span the answer copies is
   scored alone, and a head's sample score is its best span's score. Credit is never summed over spans, so
   copying the same characters from two occurrences is not counted twice and a perfect copy of any one
   occurrence scores 1.0.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from adapters.evidence import surface_forms
from adapters.prompts import render_prompt
from adapters.questions import get_question

Span = tuple[int, int]
NOT_A_COPY = "not a copy of the evidence"


@dataclass(frozen=True)
class EvidenceText:
    """The surface form one evidence token span holds: its text and the prompt char of each character."""

    span: Span  # the evidence tokens [start, end) in the prompt
    text: str
    chars: tuple[int, ...]  # prompt char index of text[i]


def prompt_offsets(tokenizer, qp, chat: bool | None) -> tuple[str, list[Span]]:
    """The prompt text of ``qp`` and the char offsets of its tokens, re-encoded as the prompt was built.

    ``chat`` None tries both layouts. Raises ValueError when no layout reproduces ``qp.ids``.
    """
    question = get_question(qp.question).text
    for layout in ((chat,) if chat is not None else (True, False)):
        if layout and not getattr(tokenizer, "chat_template", None):
            continue
        text, _, _, add_special = render_prompt(tokenizer, qp.context, question, layout)
        enc = tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True)
        if list(enc["input_ids"]) == list(qp.ids):
            return text, [(int(a), int(b)) for a, b in enc["offset_mapping"]]
    raise ValueError(f"{qp.question}: re-encoding the prompt ({'chat' if chat else 'base' if chat is False else 'any'}"
                     " layout) does not reproduce its ids; the copy rule needs the prompt's char offsets")


def find_copy(haystack: str, needle: str, start: int = 0) -> list[int] | None:
    """Where ``needle`` occurs in ``haystack`` (first hit at or after ``start``), as the haystack index of each
    non-whitespace needle character (-1 for whitespace); None when it does not occur.

    Whitespace runs match any whitespace run, letters match regardless of case, and the hit must not have a
    word character right before or after it when the needle starts or ends with one.
    """
    needle = needle.strip()
    if not needle:
        return None
    body = "".join(r"\s+" if piece.isspace() else re.escape(piece) for piece in re.findall(r"\s+|\S", needle))
    lead = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
    tail = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
    m = re.compile(lead + body + tail, re.IGNORECASE).search(haystack, start)
    if m is None:
        return None
    out: list[int] = []
    i, j = 0, m.start()
    while i < len(needle):
        if needle[i].isspace():
            while i < len(needle) and needle[i].isspace():
                out.append(-1)
                i += 1
            while j < m.end() and haystack[j].isspace():
                j += 1
        else:
            out.append(j)
            i += 1
            j += 1
    return out


def evidence_texts(prompt: str, offsets: Sequence[Span], spans: Sequence[Span], kind: str,
                   answer: str) -> list[EvidenceText]:
    """The surface form of ``answer`` that each evidence token span holds (spans holding none are left out)."""
    forms = surface_forms(kind, answer)
    out: list[EvidenceText] = []
    for s, e in spans:
        if e <= s:
            continue
        lo, hi = offsets[s][0], offsets[e - 1][1]
        region = prompt[lo:hi]
        for form in forms:
            hit = find_copy(region, form)
            if hit is not None:
                first, last = hit[0], max(hit)
                text = region[first : last + 1]
                out.append(EvidenceText((s, e), text, tuple(range(lo + first, lo + last + 1))))
                break
    return out


def generated_char_ranges(tokenizer, ids: Sequence[int]) -> tuple[str, list[Span]]:
    """The generated text (special tokens skipped) and the char range each generated token adds to it."""
    text = tokenizer.decode(list(ids), skip_special_tokens=True)
    ranges: list[Span] = []
    prev = 0
    for k in range(1, len(ids) + 1):
        part = tokenizer.decode(list(ids[:k]), skip_special_tokens=True)
        n = 0
        limit = min(len(part), len(text))
        while n < limit and part[n] == text[n]:
            n += 1
        end = max(prev, n)
        ranges.append((prev, end))
        prev = end
    return text, ranges


def step_targets(ev: EvidenceText, offsets: Sequence[Span], generated: str,
                 ranges: Sequence[Span]) -> list[list[int]] | None:
    """Per generated token, the evidence tokens whose characters it copies (None: the answer is no copy)."""
    hit = find_copy(generated, ev.text)
    if hit is None:
        return None
    s, e = ev.span
    starts = [offsets[i][0] for i in range(s, e)]
    copied: dict[int, int] = {}  # generated char -> evidence token
    for c, g in enumerate(hit):
        if g < 0:
            continue
        p = ev.chars[c]
        i = s + max(0, bisect.bisect_right(starts, p) - 1)
        while i < e and offsets[i][1] <= p:
            i += 1
        if i < e and offsets[i][0] <= p:
            copied[g] = i
    return [sorted({copied[g] for g in range(a, b) if g in copied}) for a, b in ranges]


def span_credit(top1: np.ndarray, span: Span, targets: Sequence[Sequence[int]]) -> np.ndarray:
    """(L, H) credit of one span: each evidence token once per head, ``1 / (e - s)``, when the head's top-1 key
    at a step is one of that step's targets. ``top1``: (S, L, H) key indices."""
    s, e = span
    credited = np.zeros(top1.shape[1:] + (e - s,), dtype=bool)
    for step, toks in enumerate(targets):
        if not toks:
            continue
        hit = np.isin(top1[step], toks)
        local = np.asarray(toks) - s
        credited[..., local] |= hit[..., None]
    return credited.sum(-1) / float(e - s)


def char_copy_scores(top1: np.ndarray, generated_ids: Sequence[int], tokenizer, qp,
                     chat: bool | None) -> tuple[np.ndarray | None, str | None]:
    """(L, H) Wu24 score of one sample by the character rule, or (None, why) when the answer copies no span."""
    top1 = np.asarray(top1)
    if top1.ndim != 3 or top1.shape[0] != len(generated_ids):
        raise ValueError(f"top1 must be (steps, layers, heads) with steps == {len(generated_ids)}, got {top1.shape}")
    prompt, offsets = prompt_offsets(tokenizer, qp, chat)
    evidence = evidence_texts(prompt, offsets, qp.wu24_spans, qp.kind, qp.answer)
    if not evidence:
        return None, "the evidence tokens hold no surface form of the answer (nothing to copy)"
    generated, ranges = generated_char_ranges(tokenizer, generated_ids)
    best: np.ndarray | None = None
    for ev in evidence:
        targets = step_targets(ev, offsets, generated, ranges)
        if targets is None:
            continue
        credit = span_credit(top1, ev.span, targets)
        best = credit if best is None else np.maximum(best, credit)
    if best is None:
        forms = sorted({ev.text for ev in evidence})
        return None, (f"{NOT_A_COPY}: the answer {generated.strip()!r} holds none of the evidence texts {forms} "
                      "(the character copy rule; `wu24_copy: ids` scores by token ids)")
    return best, None
