"""Head detection: the three methods' per-sample scores from shared forward passes.

Per filing: one prefill of the shared context prefix; then per question one suffix call whose probe
rows feed all three methods (the last prompt row -> summed attention and Wu24's step 0; the question
span rows -> QRHead), a greedy decode whose per-step top-1 rows feed Wu24, and a null-query suffix
call for QRHead's calibration. The context cache is cropped back after each question, never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from transformers import DynamicCache

from adapters.answers import answer_matches
from adapters.prompts import FilingPrompts, QuestionPrompt
from adapters.questions import NULL_QUERY, get_question
from harness.engine import probe
from harness.engine.decoding import forward, is_stop, prefill, stop_ids
from harness.engine.kvcache import crop_to
from third_party.qrhead import per_doc_scores
from third_party.wu24 import retrieval_scores_from_top1, rouge_gate

METHODS = ("summed_attention", "wu24", "qrhead")


@dataclass
class DetectionSettings:
    """Settings that change per-sample detection scores (all part of the result keys)."""

    max_new_tokens: int = 12
    stop: str = "newline_eos"  # or "upstream": '<0x0A>' token string or id 144, after appending
    wu24_gate: str = "match"  # or "rouge": ROUGE-1 recall x 100 > 50 against the answer
    qrhead_layout: str = "study"  # or "upstream": QRHead's own prompt over the context's paragraphs
    count_tolerance: float = 0.0


@dataclass
class QuestionScores:
    """Per-sample, per-question head scores, each (L, H) float64 or None with a reason."""

    question: str
    answer_text: str
    generated_ids: list[int]
    correct: bool
    summed_context: np.ndarray | None = None
    summed_evidence: np.ndarray | None = None
    wu24: np.ndarray | None = None
    wu24_success: bool = False
    qrhead: np.ndarray | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def arr(a: np.ndarray | None) -> list | None:
            return None if a is None else np.asarray(a, dtype=np.float64).tolist()

        return {
            "question": self.question, "answer_text": self.answer_text, "generated_ids": self.generated_ids,
            "correct": self.correct, "summed_context": arr(self.summed_context),
            "summed_evidence": arr(self.summed_evidence), "wu24": arr(self.wu24),
            "wu24_success": self.wu24_success, "qrhead": arr(self.qrhead), "reasons": self.reasons,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QuestionScores:
        def arr(a: list | None) -> np.ndarray | None:
            return None if a is None else np.asarray(a, dtype=np.float64)

        return cls(
            question=d["question"], answer_text=d["answer_text"], generated_ids=list(d["generated_ids"]),
            correct=bool(d["correct"]), summed_context=arr(d["summed_context"]),
            summed_evidence=arr(d["summed_evidence"]), wu24=arr(d["wu24"]),
            wu24_success=bool(d["wu24_success"]), qrhead=arr(d["qrhead"]), reasons=dict(d["reasons"]),
        )


@torch.no_grad()
def detect_question(
    model, tokenizer, cache: DynamicCache, prefix_len: int, qp: QuestionPrompt, settings: DetectionSettings,
    stops: set[int],
) -> QuestionScores:
    """All three methods' scores for one question, on ``cache`` holding the shared prefix (cropped back after)."""
    n = len(qp.ids)
    ctx_end = qp.context_span[1]
    dev = model.device  # consumers keep results where they are computed; one copy to the host per question
    regions = [qp.context_span] + list(qp.evidence_spans)
    sums = probe.RegionSums(regions, dev)
    top1_steps: list[torch.Tensor] = []
    step0 = probe.Top1(dev)
    qr = probe.RowSum(ctx_end, dev)
    with probe.probing([n - 1], [sums, step0]), probe.probing(range(qp.query_start, n), [qr]):
        logits = forward(model, qp.ids[prefix_len:], cache)
    top1_steps.append(step0.stack()[:, 0, :, 0])  # (L, H)
    generated = [int(torch.argmax(logits))]
    while len(generated) < settings.max_new_tokens and not is_stop(generated[-1], tokenizer, stops, settings.stop):
        t1 = probe.Top1(dev)
        with probe.probing("last", [t1]):
            logits = forward(model, [generated[-1]], cache)
        top1_steps.append(t1.stack()[:, 0, :, 0])
        generated.append(int(torch.argmax(logits)))
    crop_to(cache, prefix_len)

    nul = probe.RowSum(ctx_end, dev)
    with probe.probing(range(qp.null_query_start, len(qp.null_ids)), [nul]):
        forward(model, qp.null_ids[prefix_len:], cache)
    crop_to(cache, prefix_len)

    answer_text = tokenizer.decode(generated, skip_special_tokens=True).strip() if tokenizer else ""
    correct = bool(qp.answer is not None and answer_matches(qp.kind, answer_text, qp.answer,
                                                           settings.count_tolerance))
    res = QuestionScores(qp.question, answer_text, generated, correct)
    region = sums.stack()[:, 0, :, 0, :].double().cpu().numpy()  # (L, H, regions)
    res.summed_context = region[..., 0]
    if not qp.usable:
        why = qp.reason or "no usable ground truth"
        res.reasons = {m: why for m in ("summed_evidence", "wu24", "qrhead")}
        return res
    if qp.evidence_spans:
        res.summed_evidence = region[..., 1:].sum(-1)
    else:
        res.reasons["summed_evidence"] = qp.reason or "no evidence in the context window"

    if qp.wu24_spans:
        top1 = torch.stack(top1_steps).cpu().numpy()  # (S, L, H)
        res.wu24 = retrieval_scores_from_top1(top1, generated, qp.ids, qp.wu24_spans)
        if settings.wu24_gate == "rouge":
            _, res.wu24_success = rouge_gate(qp.answer, answer_text)
        else:
            res.wu24_success = correct
        if not res.wu24_success:
            res.reasons["wu24"] = f"answer failed the {settings.wu24_gate} gate: {answer_text!r}"
    else:
        res.reasons["wu24"] = qp.reason or "no evidence span for Wu24 (needle not found or outside the window)"

    if qp.gold_paragraphs and settings.qrhead_layout == "upstream":
        res.qrhead = qrhead_upstream_layout(model, tokenizer, qp)
    elif qp.gold_paragraphs:
        pts = qr.mean()[:, 0].cpu()  # (L, H, ctx_end)
        null = nul.mean()[:, 0].cpu()
        spans_incl = [(s, e - 1) for s, e in qp.paragraph_spans]
        per_doc = per_doc_scores(pts, null, spans_incl)
        res.qrhead = sum(per_doc[i].double().numpy() for i in qp.gold_paragraphs)
    else:
        res.reasons["qrhead"] = qp.reason or "no gold paragraph in the context window"
    return res


@torch.no_grad()
def qrhead_upstream_layout(model, tokenizer, qp: QuestionPrompt) -> np.ndarray:
    """QRHead with its upstream prompt: the context's paragraphs as numbered documents, query span = the tail.

    One prompt per question (no prefix shared with the other methods); the null query reuses the cache
    up to the query span, as upstream does.
    """
    from third_party.qrhead import compose_upstream_prompt, token_spans_inclusive_many

    docs = [{"text": qp.context[s:e]} for s, e in qp.paragraph_chars]

    def encode(query: str):
        prompt, doc_chars, q_chars = compose_upstream_prompt(docs, query)
        enc = tokenizer(prompt, add_special_tokens=True, return_offsets_mapping=True)
        offsets = [tuple(o) for o in enc["offset_mapping"]]
        doc_tok = token_spans_inclusive_many(offsets, doc_chars)
        q_start = token_spans_inclusive_many(offsets, [q_chars])[0][0]
        return list(enc["input_ids"]), doc_tok, q_start

    ids, doc_tok, q_start = encode(get_question(qp.question).text)
    null_ids, _, null_start = encode(NULL_QUERY)
    cache = DynamicCache()
    acc = probe.RowSum(len(ids))
    with probe.probing(range(q_start, len(ids)), [acc]):
        forward(model, ids, cache)
    crop_to(cache, null_start)
    nul = probe.RowSum(len(null_ids))
    with probe.probing(range(null_start, len(null_ids)), [nul]):
        forward(model, null_ids[null_start:], cache)
    per_doc = per_doc_scores(acc.mean()[:, 0], nul.mean()[:, 0], doc_tok)
    return sum(per_doc[i].double().numpy() for i in qp.gold_paragraphs)


@torch.no_grad()
def detect_filing(
    model, tokenizer, fp: FilingPrompts, settings: DetectionSettings
) -> dict[str, QuestionScores]:
    """Scores of every question of one filing, sharing one prefill of the context prefix."""
    stops = stop_ids(tokenizer)
    cache = prefill(model, fp.prefix_ids)
    prefix_len = len(fp.prefix_ids)
    return {q: detect_question(model, tokenizer, cache, prefix_len, qp, settings, stops)
            for q, qp in fp.prompts.items()}


def method_sample_score(qs: QuestionScores, method: str, summed_variant: str = "context") -> np.ndarray | None:
    """The (L, H) score a sample contributes to ``method`` (None: excluded)."""
    if method == "summed_attention":
        return qs.summed_context if summed_variant == "context" else qs.summed_evidence
    if method == "wu24":
        return qs.wu24 if qs.wu24_success else None
    if method == "qrhead":
        return qs.qrhead
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def exclusion_reason(qs: QuestionScores, method: str, summed_variant: str = "context") -> str:
    key = {"summed_attention": "summed_evidence" if summed_variant == "evidence" else "summed_context",
           "wu24": "wu24", "qrhead": "qrhead"}[method]
    return qs.reasons.get(key, "excluded")


def aggregate(per_sample: dict[str, np.ndarray]) -> np.ndarray:
    """Head score = mean over the samples that count (float64)."""
    return np.mean(np.stack(list(per_sample.values())), axis=0)


def rank_heads(scores: np.ndarray, top_n: int) -> list[str]:
    """Head ids by descending score (stable: ties stay in layer-major order)."""
    flat = scores.reshape(-1)
    order = np.argsort(-flat, kind="stable")
    n_heads = scores.shape[1]
    return [probe.head_id(int(i) // n_heads, int(i) % n_heads) for i in order[:top_n]]


def scores_dict(scores: np.ndarray) -> dict[str, float]:
    """(L, H) array -> {"l-h": score} for every head."""
    return {probe.head_id(l_, h): float(scores[l_, h]) for l_ in range(scores.shape[0])
            for h in range(scores.shape[1])}
