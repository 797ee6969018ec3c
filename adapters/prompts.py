"""SEC sample -> the token-level inputs every method needs (prompt, context window, evidence, paragraphs).

One filing gets one context window (cut to ``context_tokens``) that holds its questions' evidence spans
whole, with their sentences where they fit (:func:`choose_window`), shared by its questions: the prompt
puts the context first and the question last, so the context's KV cache is computed once
(``FilingPrompts.prefix_ids``) and each question only feeds its suffix.

Prompt layouts (docs/ARCHITECTURE.md, "Prompts and evidence"):
- instruct models (a chat template): one user turn ``Document:\\n{context}\\n\\n{question}``, generation
  prompt appended;
- base models: ``Document:\\n{context}\\n\\nQuestion: {question}\\nAnswer:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from adapters.evidence import TokenIndex, char_spans_to_token_spans
from adapters.paragraphs import gold_paragraphs, split_paragraphs
from adapters.questions import NULL_QUERY, get_question
from adapters.sample import Sample

Span = tuple[int, int]
# surface: the prepared evidence spans (the answer where a sentence states it); upstream_needle: Wu24's rule
EVIDENCE_RULES = ("surface", "upstream_needle")


@dataclass
class QuestionPrompt:
    """Token-level view of one (filing, question) prompt. Token spans are half-open [start, end)."""

    question: str
    ids: list[int]
    query_start: int  # first token of the question text: QRHead's query span is [query_start, len(ids))
    context_span: Span  # tokens of the context
    evidence_spans: list[Span]  # tokens of every evidence occurrence inside the context window
    paragraph_spans: list[Span]  # tokens of each paragraph of the context (QRHead's documents)
    gold_paragraphs: list[int]  # paragraphs holding an evidence span
    null_ids: list[int]  # the same prompt with the question replaced by the null query
    null_query_start: int
    wu24_spans: list[Span]  # Wu24's evidence: the surface spans, or the upstream needle span (flag `evidence`)
    context: str  # the context text (QRHead's upstream layout re-composes its documents from it)
    paragraph_chars: list[Span]  # char spans of the paragraphs inside ``context``
    answer: str | None  # canonical ground truth, None where unusable
    kind: str  # answer kind (state/year/count)
    usable: bool
    reason: str | None = None  # why the question cannot be scored for this sample


@dataclass
class FilingPrompts:
    """All question prompts of one filing, sharing ``prefix_ids`` (the common token prefix)."""

    sample_id: str
    prefix_ids: list[int]
    prompts: dict[str, QuestionPrompt]
    cut: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Small JSON-able record of the cut and per-question evidence counts."""
        return {
            "sample_id": self.sample_id,
            "prefix_len": len(self.prefix_ids),
            "cut": self.cut,
            "questions": {
                q: {"n_ids": len(p.ids), "n_evidence": len(p.evidence_spans), "usable": p.usable,
                    "reason": p.reason}
                for q, p in self.prompts.items()
            },
        }


def user_content(context: str, question_text: str) -> str:
    """The user turn of the instruct layout."""
    return f"Document:\n{context}\n\n{question_text}"


def render_prompt(tokenizer, context: str, question_text: str, chat: bool) -> tuple[str, int, int, bool]:
    """Prompt text, char offset of the context, char offset of the question, add_special_tokens flag."""
    if chat:
        content = user_content(context, question_text)
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True
        )
        base = text.index(content)
        return text, base + len("Document:\n"), base + content.rindex(question_text), False
    text = f"Document:\n{context}\n\nQuestion: {question_text}\nAnswer:"
    return text, len("Document:\n"), text.rindex(question_text), True


def _encode(tokenizer, text: str, add_special: bool) -> tuple[list[int], list[Span]]:
    enc = tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True)
    return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]


def _token_at_char(offsets: Sequence[Span], char: int) -> int:
    """First token whose span ends after ``char`` (the token holding ``char``, or the next one)."""
    for i, (s, e) in enumerate(offsets):
        if e > char and not (s == 0 and e == 0):
            return i
    return len(offsets)


def evidence_regions(record: Sample, question: str, text_offsets: Sequence[Span] | TokenIndex,
                     budget: int) -> list[Span]:
    """Char regions of the text a window must hold whole, one per evidence span of ``question``.

    Each is the span with its sentence (``Sample.evidence_sentences``) where that fits in ``budget`` tokens
    (``text_offsets``: the text's token offsets), else the span alone (also where no sentence is known).
    """
    spans = [tuple(s) for s in record.evidence_chars.get(question, [])]
    sentences = [tuple(s) for s in record.evidence_sentences.get(question, [])]
    if len(sentences) != len(spans):
        sentences = list(spans)
    unions = [(min(a, s), max(b, e)) for (a, b), (s, e) in zip(spans, sentences, strict=True)]
    tokens = _index(text_offsets).token_spans(unions) if unions else []
    return [u if t1 - t0 <= budget else span for span, u, (t0, t1) in zip(spans, unions, tokens, strict=True)]


def _index(offsets: Sequence[Span] | TokenIndex) -> TokenIndex:
    return offsets if isinstance(offsets, TokenIndex) else TokenIndex(offsets)


def choose_window(
    token_offsets: Sequence[Span] | TokenIndex, evidence: dict[str, list[Span]], budget: int
) -> tuple[int, int, list[str]]:
    """Choose a window of at most ``budget`` tokens of the text that covers evidence of most questions.

    ``token_offsets``: char offsets of the text's tokens (or their :class:`TokenIndex`); ``evidence``:
    question -> char regions (evidence spans, or spans with their sentences: :func:`evidence_regions`). A
    question is covered when one of its regions lies whole inside the window, wherever it is in the text
    (its last tokens included). Returns (first token, end token, questions covered); among windows covering
    equally many questions the earliest start wins (deterministic).
    """
    n = len(token_offsets)
    if n <= budget:
        return 0, n, [q for q, spans in evidence.items() if spans]
    index = _index(token_offsets)
    ranges = {q: [r for r in index.token_spans(spans) if r[1] > r[0]] for q, spans in evidence.items()}
    candidates = {0, n - budget}
    for rs in ranges.values():
        for a, b in rs:
            for start in (a - budget // 8, a - budget // 2, (a + b - budget) // 2, b - budget + budget // 8,
                          b - budget, a):
                candidates.add(min(max(0, start), n - budget))
    best: tuple[int, int] | None = None
    best_cover: list[str] = []
    for start in sorted(candidates):
        end = start + budget
        cover = [q for q, rs in ranges.items() if any(start <= a and b <= end for a, b in rs)]
        if best is None or len(cover) > len(best_cover):
            best, best_cover = (start, end), cover
    assert best is not None
    return best[0], best[1], best_cover


def needle_sentence(context: str, char_span: Span) -> str:
    """The sentence (within its line) around an evidence occurrence: Wu24's ``real_needle`` analogue."""
    s, e = char_span
    line_start = context.rfind("\n", 0, s) + 1
    line_end = context.find("\n", e)
    line_end = len(context) if line_end < 0 else line_end
    start = max(context.rfind(". ", line_start, s) + 2, line_start) if context.rfind(". ", line_start, s) >= 0 \
        else line_start
    stop = context.find(". ", e, line_end)
    stop = line_end if stop < 0 else stop + 1
    return context[start:stop].strip()


def upstream_needle_spans(tokenizer, ids: Sequence[int], context: str, ev_local: Sequence[Span],
                          needle: str | None = None) -> list[Span]:
    """Upstream evidence rule: the needle sentence tokenized alone, located by ``find_needle_idx``.

    ``needle``: the evidence sentence where the sample records it; else :func:`needle_sentence` around the
    first evidence span.
    """
    from third_party.wu24 import find_needle_idx

    if not ev_local:
        return []
    needle = needle or needle_sentence(context, ev_local[0])
    needle_ids = tokenizer(needle, add_special_tokens=False)["input_ids"]
    if not needle_ids:
        return []
    s, e = find_needle_idx(list(ids), needle_ids)
    return [] if s < 0 else [(s, min(e, len(ids)))]


def _needle_in_window(record: Sample, question: str, c0: int, c1: int) -> str | None:
    """The recorded sentence of the first evidence span inside the window ``[c0, c1)`` (cut to it), or None."""
    spans = record.evidence_chars.get(question, [])
    sentences = record.evidence_sentences.get(question, [])
    if len(sentences) != len(spans):
        return None
    for (a, b), (s, e) in zip(spans, sentences, strict=True):
        if c0 <= a and b <= c1:
            return record.text[max(s, c0) : min(e, c1)].strip() or None
    return None


def build_filing_prompts(
    tokenizer,
    record: Sample,
    questions: Sequence[str],
    context_tokens: int,
    chat: bool,
    evidence: str = "surface",
    window: tuple[int, int] | None = None,
) -> FilingPrompts:
    """Build the prompts of one prepared sample (see data/ for the record schema) for ``questions``.

    All questions share one context window: ``window`` (first, end token of the text) or the window of
    ``context_tokens`` that covers the evidence of most questions (:func:`choose_window`).

    ``evidence``: ``surface`` (the prepared evidence spans: the answer's occurrences in the sentences that
    state it, the study's rule) or ``upstream_needle`` (Wu24's rule for its spans: the evidence sentence
    tokenized alone and found by set overlap).
    """
    if evidence not in EVIDENCE_RULES:
        raise ValueError(f"evidence must be one of {', '.join(EVIDENCE_RULES)}, got {evidence!r}")
    text: str = record.text
    evidence_chars = {q: [tuple(s) for s in record.evidence_chars.get(q, [])] for q in questions}
    text_ids, text_offsets = _encode(tokenizer, text, False)
    if window is None:
        index = TokenIndex(text_offsets)
        regions = {q: evidence_regions(record, q, index, context_tokens) for q in questions}
        window = choose_window(index, regions, context_tokens)[:2]
    t0, t1 = window
    c0 = text_offsets[t0][0] if t0 < len(text_offsets) else len(text)
    c1 = text_offsets[t1 - 1][1] if t1 > 0 else 0
    covered = [q for q, spans in evidence_chars.items() if any(c0 <= a and b <= c1 for a, b in spans)]
    context = text[c0:c1]
    cut = {"char_start": c0, "char_end": c1, "text_tokens": len(text_ids), "window_tokens": t1 - t0,
           "truncated": t1 - t0 < len(text_ids), "questions_with_evidence_in_window": covered}

    para_chars = split_paragraphs(context)
    prompts: dict[str, QuestionPrompt] = {}
    for q in questions:
        qdef = get_question(q)
        ptext, ctx_at, q_at, add_special = render_prompt(tokenizer, context, qdef.text, chat)
        ids, offsets = _encode(tokenizer, ptext, add_special)
        ntext, nctx_at, nq_at, _ = render_prompt(tokenizer, context, NULL_QUERY, chat)
        null_ids, null_offsets = _encode(tokenizer, ntext, add_special)
        ctx_span = (_token_at_char(offsets, ctx_at), _token_at_char(offsets, ctx_at + len(context)))
        ev_local = [(s - c0, e - c0) for s, e in evidence_chars[q] if s >= c0 and e <= c1]
        needle = _needle_in_window(record, q, c0, c1)
        ev_prompt = [(s + ctx_at, e + ctx_at) for s, e in ev_local]
        ev_tok = char_spans_to_token_spans(offsets, ev_prompt) if ev_prompt else []
        par_tok = char_spans_to_token_spans(offsets, [(s + ctx_at, e + ctx_at) for s, e in para_chars])
        gold = gold_paragraphs(para_chars, ev_local) if ev_local else []
        answer = record.answers.get(q)
        usable = bool(record.usable.get(q, False))
        reason = record.excluded.get(q)
        ev_tok = [tuple(t) for t in ev_tok if t[1] > t[0]]
        if usable and not ev_tok:
            reason = "evidence outside the context window"
        wu24_spans = upstream_needle_spans(tokenizer, ids, context, ev_local, needle) \
            if evidence == "upstream_needle" else list(ev_tok)
        prompts[q] = QuestionPrompt(
            question=q, ids=ids, query_start=_token_at_char(offsets, q_at), context_span=ctx_span,
            evidence_spans=list(ev_tok), paragraph_spans=[tuple(s) for s in par_tok],
            wu24_spans=wu24_spans, context=context, paragraph_chars=[tuple(s) for s in para_chars],
            gold_paragraphs=list(gold), null_ids=null_ids, null_query_start=_token_at_char(null_offsets, nq_at),
            answer=answer, kind=qdef.kind, usable=usable, reason=reason,
        )
    prefix = _common_prefix([p.ids for p in prompts.values()] + [p.null_ids for p in prompts.values()])
    # the shared prefix must stop before any question token
    limit = min(min(p.query_start for p in prompts.values()), min(p.null_query_start for p in prompts.values()))
    prefix = prefix[: max(0, min(len(prefix), limit))]
    return FilingPrompts(record.sample_id, prefix, prompts, cut)


def build_filing_groups(
    tokenizer,
    record: Sample,
    questions: Sequence[str],
    context_tokens: int,
    chat: bool,
    evidence: str = "surface",
) -> list[FilingPrompts]:
    """Prompts of one filing as groups of questions that share a context window (and so a prefix cache).

    One window covers as many questions' evidence as fit in ``context_tokens``; questions whose evidence
    lies elsewhere get further windows, so every question's context holds its evidence where the text has
    it. Questions without usable evidence join the first group. A short text gives a single group.
    """
    text_offsets = TokenIndex(_encode(tokenizer, record.text, False)[1])
    ev = {q: evidence_regions(record, q, text_offsets, context_tokens) for q in questions}
    remaining = [q for q in questions if ev[q] and record.usable.get(q)]
    plans: list[tuple[tuple[int, int], list[str]]] = []
    while remaining:
        t0, t1, covered = choose_window(text_offsets, {q: ev[q] for q in remaining}, context_tokens)
        group = [q for q in remaining if q in covered]
        if not group:  # evidence cannot fit a window: give the first question a window at its evidence
            q = remaining[0]
            t0, t1, _ = choose_window(text_offsets, {q: ev[q][:1]}, context_tokens)
            group = [q]
        plans.append(((t0, t1), group))
        remaining = [q for q in remaining if q not in group]
    rest = [q for q in questions if not any(q in g for _, g in plans)]
    if not plans:
        return [build_filing_prompts(tokenizer, record, questions, context_tokens, chat, evidence)]
    plans[0] = (plans[0][0], plans[0][1] + rest)
    order = {q: i for i, q in enumerate(questions)}
    return [build_filing_prompts(tokenizer, record, sorted(g, key=order.get), context_tokens, chat, evidence, w)
            for w, g in plans]


def _common_prefix(seqs: Sequence[Sequence[int]]) -> list[int]:
    first = seqs[0]
    n = min(len(s) for s in seqs)
    i = 0
    while i < n and all(s[i] == first[i] for s in seqs):
        i += 1
    return list(first[:i])


def prompt_record(p: QuestionPrompt) -> dict[str, Any]:
    """JSON-able view of a question prompt (ids omitted)."""
    d = asdict(p)
    for key in ("ids", "null_ids", "context"):
        d.pop(key)
    return d
