"""What every head-finding method shares: settings, a sample's record, the signals of the shared passes,
and the :class:`Method` protocol.

The shared passes (:mod:`harness.methods.shared_pass`) run the model once per question and collect
:class:`Signals` (attention rows reduced by the probe). Each method turns them into its per-sample (L, H)
score (:meth:`Method.fill`), stored in a :class:`QuestionScores` that is checkpointed per filing; the
detection step then reads each sample's contribution back (:meth:`Method.sample_score`) and averages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch


@dataclass
class DetectionSettings:
    """Settings that change per-sample detection scores (all part of the result keys)."""

    max_new_tokens: int = 12
    stop: str = "newline_eos"  # or "upstream": '<0x0A>' token string or id 144, after appending
    wu24_gate: str = "match"  # or "rouge": ROUGE-1 recall x 100 > 50 against the answer
    wu24_copy: str = "chars"  # or "ids": upstream's token-id equality (harness.methods.copy_chars)
    qrhead_layout: str = "study"  # or "upstream": QRHead's own prompt over the context's paragraphs
    count_tolerance: float = 0.0


# The per-sample score fields of a QuestionScores, in checkpoint order.
SCORE_FIELDS = ("summed_context", "summed_evidence", "wu24", "qrhead")
# The per-sample secondary ranking keys kept beside them (what breaks ties of a method's primary score).
SECONDARY_FIELDS = ("wu24_top1_mass", "qrhead_raw")


@dataclass
class QuestionScores:
    """Per-sample, per-question head scores, each (L, H) float64 or None with a reason."""

    question: str
    answer_text: str
    generated_ids: list[int]
    correct: bool
    hit_max_tokens: bool = False  # the decode ran to max_new_tokens without the stop rule firing
    summed_context: np.ndarray | None = None
    summed_evidence: np.ndarray | None = None
    wu24: np.ndarray | None = None
    wu24_success: bool = False  # passed the gate and (``wu24_copy: chars``) copied the evidence: it counts
    qrhead: np.ndarray | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    wu24_top1_mass: np.ndarray | None = None  # Wu24's tie-break: mean top-1 probability on the evidence
    qrhead_raw: np.ndarray | None = None  # QRHead's tie-break: query-span attention to the gold paragraphs

    def to_json(self) -> dict[str, Any]:
        """The checkpoint form (:class:`harness.store.records.QuestionRecord`)."""

        def arr(a: np.ndarray | None) -> list | None:
            return None if a is None else np.asarray(a, dtype=np.float64).tolist()

        return {
            "question": self.question, "answer_text": self.answer_text, "generated_ids": self.generated_ids,
            "correct": self.correct, "hit_max_tokens": self.hit_max_tokens, "summed_context": arr(self.summed_context),
            "summed_evidence": arr(self.summed_evidence), "wu24": arr(self.wu24),
            "wu24_success": self.wu24_success, "qrhead": arr(self.qrhead), "reasons": self.reasons,
            "wu24_top1_mass": arr(self.wu24_top1_mass), "qrhead_raw": arr(self.qrhead_raw),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QuestionScores:
        """Back from the checkpoint form."""

        def arr(a: list | None) -> np.ndarray | None:
            return None if a is None else np.asarray(a, dtype=np.float64)

        return cls(
            question=d["question"], answer_text=d["answer_text"], generated_ids=list(d["generated_ids"]),
            correct=bool(d["correct"]), hit_max_tokens=bool(d.get("hit_max_tokens", False)),
            summed_context=arr(d["summed_context"]),
            summed_evidence=arr(d["summed_evidence"]), wu24=arr(d["wu24"]),
            wu24_success=bool(d["wu24_success"]), qrhead=arr(d["qrhead"]), reasons=dict(d["reasons"]),
            wu24_top1_mass=arr(d.get("wu24_top1_mass")), qrhead_raw=arr(d.get("qrhead_raw")),
        )


@dataclass
class Signals:
    """What the shared passes of one question measured (on the model's device until a method reads them).

    ``region_sums``: (L, H, 1 + n_evidence) attention of the last prompt row summed over the context and
    over each evidence span; ``top1``: per decode step the (L, H) top-1 key position of the row that
    produced the generated token; ``query_rows`` / ``null_rows``: the probe's running sums of the
    question-span rows (and of the null query's rows) over the context keys (``.mean()``: (L, 1, H, N));
    ``hit_max_tokens``: the decode ran to ``max_new_tokens`` without the stop rule firing.
    ``top1_values``: per decode step the (L, H) attention probability of that top-1 key.
    """

    region_sums: np.ndarray
    top1: list[torch.Tensor]
    generated: list[int]
    answer_text: str
    query_rows: Any
    null_rows: Any
    hit_max_tokens: bool = False
    top1_values: list[torch.Tensor] = field(default_factory=list)


@dataclass
class PassContext:
    """What a method may need beyond the signals: the model and tokenizer (QRHead's upstream layout), and
    whether the prompt has the chat layout (Wu24's character copy rule re-encodes it for its char offsets)."""

    model: Any
    tokenizer: Any
    settings: DetectionSettings
    chat: bool | None = None


class Method(Protocol):
    """One head-finding method.

    ``variant`` (below) is no longer read by any method: the summed-attention variants are methods of their
    own (``summed_context``, ``summed_evidence``); the argument stays so that implementations need not change.
    """

    name: str

    def fill(self, res: QuestionScores, sig: Signals, qp: Any, ctx: PassContext) -> None:
        """Compute this method's per-sample score(s) of one usable question into ``res`` (or a reason)."""

    def sample_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        """The (L, H) score a checkpointed sample contributes (None: excluded)."""

    def exclusion_reason(self, res: QuestionScores, variant: str) -> str:
        """Why a sample contributes nothing."""

    def secondary_score(self, res: QuestionScores, variant: str) -> np.ndarray | None:
        """The (L, H) secondary ranking key of a sample that counts (breaks ties of the primary score, see
        :func:`harness.methods.scores.rank_heads`); None: this sample has none."""

    def unit_extra(self, per_sample: list[QuestionScores], used: dict[str, np.ndarray], top_n: int,
                   variant: str, gate: str) -> dict[str, Any]:
        """Method-specific fields of the detection unit file (``extra``)."""
