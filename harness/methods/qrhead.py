"""QRHead (Zhang et al. 2025): query-span attention to the gold paragraph, calibrated by a null query,
outlier tokens masked (port: :mod:`third_party.qrhead`).

The study's layout reads the question-span rows of the shared prompt (``Signals.query_rows``, ``null_rows``);
``qrhead_layout: upstream`` runs QRHead's own prompt over the context's paragraphs instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from transformers import DynamicCache

from adapters.questions import NULL_QUERY, get_question
from harness.engine import probe
from harness.engine.decoding import BosRule, forward
from harness.engine.kvcache import crop_to
from harness.methods.base import PassContext, QuestionScores, Signals
from third_party.qrhead import compose_upstream_prompt, per_doc_scores, token_spans_inclusive_many


class QRHead:
    """QRScore of the gold paragraphs."""

    name = "qrhead"

    def fill(self, res: QuestionScores, sig: Signals, qp: Any, ctx: PassContext) -> None:
        if not qp.gold_paragraphs:
            res.reasons["qrhead"] = qp.reason or "no gold paragraph in the context window"
        elif ctx.settings.qrhead_layout == "upstream":
            res.qrhead = upstream_layout_score(ctx.model, ctx.tokenizer, qp)
        else:
            spans_incl = [(s, e - 1) for s, e in qp.paragraph_spans]
            # on the device the rows were measured on; only the (L, H) results come back
            query = sig.query_rows.mean()[:, 0]
            per_doc = per_doc_scores(query, sig.null_rows.mean()[:, 0], spans_incl)
            res.qrhead = sum(per_doc[i].double().cpu().numpy() for i in qp.gold_paragraphs)
            res.qrhead_raw = gold_attention_mass(query, [qp.paragraph_spans[i] for i in qp.gold_paragraphs])

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        return res.qrhead

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        return res.reasons.get("qrhead", "excluded")

    def secondary_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        """The tie-break: the uncalibrated query-span attention mass on the gold paragraphs (study layout)."""
        return res.qrhead_raw if res.qrhead is not None else None

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        return {}


def gold_attention_mass(query_mean: torch.Tensor, gold_spans) -> np.ndarray:
    """(L, H) mean query-span attention summed over the gold paragraphs' tokens ``[s, e)``, uncalibrated."""
    total = torch.zeros(query_mean.shape[:2], dtype=torch.float64, device=query_mean.device)
    for s, e in gold_spans:
        total += query_mean[..., int(s):int(e)].double().sum(-1)
    return total.cpu().numpy()


@torch.no_grad()
def upstream_layout_score(model, tokenizer, qp: Any) -> np.ndarray:
    """QRHead with its upstream prompt: the context's paragraphs as numbered documents, query span = the tail.

    One prompt per question (no prefix shared with the other methods); the null query reuses the cache
    up to the query span, as upstream does.
    """
    docs = [{"text": qp.context[s:e]} for s, e in qp.paragraph_chars]
    bos = BosRule.for_tokenizer(tokenizer, chat=False)  # a plain-text prompt, encoded with special tokens

    def encode(query: str):
        prompt, doc_chars, q_chars = compose_upstream_prompt(docs, query)
        enc = tokenizer(prompt, add_special_tokens=True, return_offsets_mapping=True)
        bos.check(enc["input_ids"], f"{qp.question} QRHead upstream-layout prompt")
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


METHOD = QRHead()
