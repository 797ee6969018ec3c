"""Summed attention (the study's own method), in two variants that are two methods: the last prompt
position's attention, per head, summed over the whole context (``summed_context``) or over the evidence
tokens only (``summed_evidence``).

Both sums come from the same probe row at no extra cost (``Signals.region_sums``). Each variant breaks
ties of its score by the other variant's score (the two are continuous and rarely tie at all).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.methods.base import PassContext, QuestionScores, Signals


class SummedAttention:
    """Attention of the last prompt row summed over a region: ``"context"`` or ``"evidence"``."""

    def __init__(self, region: str) -> None:
        if region not in ("context", "evidence"):
            raise ValueError(f"region must be 'context' or 'evidence', got {region!r}")
        self.region = region
        self.name = f"summed_{region}"
        self.other = "summed_evidence" if region == "context" else "summed_context"

    def fill(self, res: QuestionScores, sig: Signals, qp: Any, ctx: PassContext) -> None:
        """The evidence sum (the context sum is set for every sample by the shared pass)."""
        if self.region == "context":
            return
        if qp.evidence_spans:
            res.summed_evidence = sig.region_sums[..., 1:].sum(-1)
        else:
            res.reasons["summed_evidence"] = qp.reason or "no evidence in the context window"

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        return getattr(res, self.name)

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        return res.reasons.get(self.name, "excluded")

    def secondary_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        """The other variant's score of the same sample (None when it has none, e.g. no evidence)."""
        return getattr(res, self.other)

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        """The region summed over."""
        return {"region": self.region}


CONTEXT = SummedAttention("context")
EVIDENCE = SummedAttention("evidence")
