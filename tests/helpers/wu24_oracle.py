"""An oracle copying head for Wu24: per generated token its top-1 key is the prompt token holding the token's
first non-space character inside the evidence (what a perfect retrieval head attends to).

The oracle writes the answer as the evidence's surface form, verbatim, the way a model would: a chat answer
starts without the leading space, a base answer (after ``Answer:``) with it; then the stop token (a newline
for base prompts, EOS for chat). Its positions come from the tokenizer's own offsets of the prompt and of
the answer, not from the method's alignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from adapters.answers import answer_matches
from adapters.prompts import build_filing_groups, render_prompt
from adapters.questions import QUESTION_KEYS, get_question
from adapters.sample import Sample
from harness.methods.base import DetectionSettings, PassContext, QuestionScores, Signals
from harness.methods.registry import get_method


@dataclass
class OracleResult:
    """One (filing, question): the score of the oracle head (None: excluded) and why it was excluded."""

    sample_id: str
    question: str
    answer: str
    score: float | None
    reason: str | None


def _token_at(offsets, char: int) -> int | None:
    for i, (a, b) in enumerate(offsets):
        if a <= char < b:
            return i
    return None


def oracle_signals(tokenizer, qp, chat: bool, form: str, form_at: int) -> tuple[Signals, str]:
    """Signals of the oracle head (1 layer x 1 head) writing ``form`` (whose first char is prompt char
    ``form_at``), and the answer text."""
    lead = "" if chat else " "
    answer = lead + form
    enc = tokenizer(answer + ("" if chat else "\n"), add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    if chat:
        ids.append(int(tokenizer.eos_token_id))
        offsets.append((len(answer), len(answer)))
    text, ctx_at, _, add_special = render_prompt(tokenizer, qp.context, get_question(qp.question).text, chat)
    penc = tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True)
    assert list(penc["input_ids"]) == list(qp.ids)
    poff = [tuple(o) for o in penc["offset_mapping"]]
    top1 = []
    for a, b in offsets:
        inside = [j for j in range(a, b) if len(lead) <= j < len(answer) and not answer[j].isspace()]
        target = _token_at(poff, form_at + inside[0] - len(lead)) if inside else None
        top1.append(torch.tensor([[0 if target is None else target]]))
    answer_text = tokenizer.decode(ids, skip_special_tokens=True).strip()
    return Signals(None, top1, ids, answer_text, None, None), answer_text


def oracle_filing(tokenizer, rec: Sample, chat: bool, copy: str, context_tokens: int = 1024) -> list[OracleResult]:
    """The oracle head's Wu24 score for every question of one filing with evidence in its window."""
    method = get_method("wu24")
    settings = DetectionSettings(wu24_copy=copy)
    out = []
    for fp in build_filing_groups(tokenizer, rec, list(QUESTION_KEYS), context_tokens, chat):
        c0, c1 = fp.cut["char_start"], fp.cut["char_end"]
        for q, qp in fp.prompts.items():
            inside = [(a, b) for a, b in rec.evidence_chars.get(q, []) if c0 <= a and b <= c1]
            if not qp.usable or not qp.wu24_spans or not inside:
                continue
            a, b = inside[0]
            form = rec.text[a:b]
            _, ctx_at, _, _ = render_prompt(tokenizer, qp.context, get_question(q).text, chat)
            sig, answer_text = oracle_signals(tokenizer, qp, chat, form, ctx_at + a - c0)
            correct = answer_matches(qp.kind, answer_text, qp.answer)
            res = QuestionScores(q, answer_text, sig.generated, correct)
            method.fill(res, sig, qp, PassContext(None, tokenizer, settings, chat))
            score = method.sample_score(res, "context")
            out.append(OracleResult(rec.sample_id, q, answer_text, None if score is None else float(score[0, 0]),
                                    None if score is not None else method.exclusion_reason(res, "context")))
    return out
