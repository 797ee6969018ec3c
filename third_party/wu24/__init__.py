"""Independent port of Wu et al. (2024) "Retrieval Head" (nightdessert/Retrieval_Head @ 3ac171a).

Pure functions on ids and arrays; model forward passes are done by the study's attention probe.
See PROVENANCE.md for the upstream lines each function mirrors and the study's deliberate deviations.
"""

from __future__ import annotations

from third_party.wu24.head_counter import HeadCounter, head_id
from third_party.wu24.needle import NOT_FOUND, find_needle_idx
from third_party.wu24.retrieval_score import (
    CREDIT_MODES,
    retrieval_scores_from_top1,
    retrieval_step,
    retrieval_tokens_from_top1,
)
from third_party.wu24.rouge_gate import rouge_gate, rouge_scores, rouge_tokens
from third_party.wu24.stopping import upstream_decode_length, upstream_should_stop

UPSTREAM_REPO = "nightdessert/Retrieval_Head"
UPSTREAM_COMMIT = "3ac171a6f71ce7ef1cda57d4215c390fb6ab51f2"

__all__ = [
    "CREDIT_MODES",
    "NOT_FOUND",
    "UPSTREAM_COMMIT",
    "UPSTREAM_REPO",
    "HeadCounter",
    "find_needle_idx",
    "head_id",
    "retrieval_scores_from_top1",
    "retrieval_step",
    "retrieval_tokens_from_top1",
    "rouge_gate",
    "rouge_scores",
    "rouge_tokens",
    "upstream_decode_length",
    "upstream_should_stop",
]
