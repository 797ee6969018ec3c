"""Wu et al. (2024) retrieval score: while the model writes the answer, how often each head's top-1
attended key is the evidence token being copied (port: :mod:`third_party.wu24`).

Copy matching (``wu24_copy``): ``chars`` (the study's default, :mod:`harness.methods.copy_chars`): the answer's
characters are aligned to the evidence text and a head is credited when its top-1 key holds characters the
generated token copies, each evidence token once per head and sample; an answer that is no copy of the
evidence is excluded with that reason. ``ids``: upstream's rule, token-id equality (zeros for non-copies); it is
also what runs without a tokenizer (the timing and plumbing paths, which have no text to align).

A sample counts only when its answer succeeded (the ``wu24_gate``: the study's normalised answer match, or
upstream's ROUGE-1 recall gate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from harness.methods.base import PassContext, QuestionScores, Signals
from harness.methods.copy_chars import NOT_A_COPY, char_copy_scores
from third_party.wu24 import retrieval_scores_from_top1, rouge_gate

COPY_RULES = ("chars", "ids")


class Wu24RetrievalScore:
    """Copy-paste credit of the top-1 key during greedy decoding."""

    name = "wu24"

    def fill(self, res: QuestionScores, sig: Signals, qp: Any, ctx: PassContext) -> None:
        if not qp.wu24_spans:
            res.reasons["wu24"] = qp.reason or "no evidence span for Wu24 (needle not found or outside the window)"
            return
        gate = ctx.settings.wu24_gate
        if gate == "rouge":
            _, res.wu24_success = rouge_gate(qp.answer, sig.answer_text)
        else:
            res.wu24_success = res.correct
        if not res.wu24_success:
            res.reasons["wu24"] = f"answer failed the {gate} gate: {sig.answer_text!r}"
        top1 = torch.stack(sig.top1).cpu().numpy()  # (S, L, H)
        rule = ctx.settings.wu24_copy
        if rule not in COPY_RULES:
            raise ValueError(f"wu24_copy must be one of {', '.join(COPY_RULES)}, got {rule!r}")
        if rule == "ids" or ctx.tokenizer is None:  # no tokenizer (timing, plumbing): no text to align
            res.wu24 = retrieval_scores_from_top1(top1, sig.generated, qp.ids, qp.wu24_spans)
        else:
            res.wu24, why = char_copy_scores(top1, sig.generated, ctx.tokenizer, qp, ctx.chat)
            if why is not None and res.wu24_success:
                res.wu24_success = False
                res.reasons["wu24"] = why

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        return res.wu24 if res.wu24_success else None

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        return res.reasons.get("wu24", "excluded")

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        """How many samples passed the gate, which gate, and how many correct answers copied no evidence."""
        n_not_copy = sum(r.reasons.get("wu24", "").startswith(NOT_A_COPY) for r in per_sample)
        return {"n_success": len(used), "gate": gate, "n_not_copied": n_not_copy}


METHOD = Wu24RetrievalScore()
