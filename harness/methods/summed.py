"""Summed attention (the study's own method): the last prompt position's attention, per head, summed over
the whole context (variant ``context``) or over the evidence tokens only (variant ``evidence``).

Both sums come from the same probe row at no extra cost (``Signals.region_sums``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.methods.base import PassContext, QuestionScores, Signals
from harness.methods.scores import aggregate, rank_heads, scores_dict


class SummedAttention:
    """Attention of the last prompt row summed over a region."""

    name = "summed_attention"

    def fill(self, res: QuestionScores, sig: Signals, qp: Any, ctx: PassContext) -> None:
        """The evidence sum (the context sum is set for every sample by the shared pass)."""
        if qp.evidence_spans:
            res.summed_evidence = sig.region_sums[..., 1:].sum(-1)
        else:
            res.reasons["summed_evidence"] = qp.reason or "no evidence in the context window"

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        return res.summed_context if variant == "context" else res.summed_evidence

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        return res.reasons.get("summed_evidence" if variant == "evidence" else "summed_context", "excluded")

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        """The variant; with the context variant, the evidence variant's scores and top list alongside."""
        extra: dict[str, Any] = {"variant": variant}
        evid = {str(i): s.summed_evidence for i, s in enumerate(per_sample) if s.summed_evidence is not None}
        if variant == "context" and evid:
            evidence_scores = aggregate(evid)
            extra["scores_evidence"] = scores_dict(evidence_scores)
            extra["top_heads_evidence"] = rank_heads(evidence_scores, top_n)
        return extra


METHOD = SummedAttention()
