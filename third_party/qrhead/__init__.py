"""Independent port of Zhang et al. (2025) "QRHead" (princeton-pli/QRHead @ 7a668e7).

Pure functions on strings, offsets and tensors; the per-token attention scores come from the study's
attention probe. See PROVENANCE.md for the upstream lines each function mirrors and the deviations.
"""

from __future__ import annotations

from third_party.qrhead.doc_scores import (
    calibrate,
    outlier_masked_sum,
    parse_head_set,
    per_doc_scores,
    score_docs,
)
from third_party.qrhead.head_scores import lme_eval, qr_scores, score_heads
from third_party.qrhead.prompt import (
    UncoveredCharError,
    char_to_token,
    compose_upstream_prompt,
    strip_docs,
    token_spans_inclusive,
    token_spans_inclusive_many,
)

UPSTREAM_REPO = "princeton-pli/QRHead"
UPSTREAM_COMMIT = "7a668e79a4cc25dddf1de4058af5c58a141e0c65"
NULL_QUERY = "N/A"

__all__ = [
    "NULL_QUERY",
    "UPSTREAM_COMMIT",
    "UPSTREAM_REPO",
    "UncoveredCharError",
    "calibrate",
    "char_to_token",
    "compose_upstream_prompt",
    "lme_eval",
    "outlier_masked_sum",
    "parse_head_set",
    "per_doc_scores",
    "qr_scores",
    "score_docs",
    "score_heads",
    "strip_docs",
    "token_spans_inclusive",
    "token_spans_inclusive_many",
]
