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
        if sig.top1_values:  # the tie-break key
            res.wu24_top1_mass = top1_evidence_mass(top1, torch.stack(sig.top1_values).double().cpu().numpy(),
                                                    qp.wu24_spans)

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        return res.wu24 if res.wu24_success else None

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        return res.reasons.get("wu24", "excluded")

    def secondary_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        """The tie-break: the head's mean top-1 attention mass on the evidence during the answer."""
        return res.wu24_top1_mass if res.wu24_success else None

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        """How many samples passed the gate, which gate, and how many correct answers copied no evidence."""
        n_not_copy = sum(r.reasons.get("wu24", "").startswith(NOT_A_COPY) for r in per_sample)
        return {"n_success": len(used), "gate": gate, "n_not_copied": n_not_copy}


def top1_evidence_mass(top1: np.ndarray, values: np.ndarray, spans) -> np.ndarray:
    """Per head, the mean over the answer's decode steps of the top-1 probability when the top-1 key lies in
    an evidence span ``[s, e)``, else 0: (L, H) float64 from ``top1`` / ``values`` (S, L, H).

    Wu24's ranking key after its retrieval score: it separates heads that copy nothing (score 0) by how
    strongly they attend to the evidence, and is 0 only for heads that never put their top-1 there.
    """
    top1 = np.asarray(top1)
    inside = np.zeros(top1.shape, dtype=bool)
    for start, end in spans:
        inside |= (top1 >= int(start)) & (top1 < int(end))
    if top1.shape[0] == 0:
        return np.zeros(top1.shape[1:], dtype=np.float64)
    return np.where(inside, np.asarray(values, dtype=np.float64), 0.0).mean(axis=0)


METHOD = Wu24RetrievalScore()
