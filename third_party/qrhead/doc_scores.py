"""QRHead per-document scores: null-query calibration and the low-outlier mask.

Ports of the calibration + outlier-mask block of ``AttnBasedRetriever.score_docs_per_head_for_detection``
and of ``score_docs`` (QRHead ``src/qrretriever/attn_retriever.py``), see
PROVENANCE.md for what they mirror. Inputs are the per-token scores the attention
probe returns: attention of each query-span token to every position, averaged over the query span, (L, H, N).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray


def _tensor(x: ArrayLike, name: str) -> torch.Tensor:
    t = torch.as_tensor(x)
    if t.ndim != 3:
        raise ValueError(f"{name} must be (layers, heads, tokens), got shape {tuple(t.shape)}")
    return t


def calibrate(per_token: ArrayLike, null_per_token: ArrayLike) -> torch.Tensor:
    """CAL = per_token - null_per_token, both cut to the shorter length first (``min_length``)."""
    pts, null = _tensor(per_token, "per_token"), _tensor(null_per_token, "null_per_token")
    if pts.shape[:2] != null.shape[:2]:
        raise ValueError(f"per_token {tuple(pts.shape)} and null {tuple(null.shape)} differ in (layers, heads)")
    n = min(pts.shape[-1], null.shape[-1])
    return pts[..., :n] - null[..., :n]


def outlier_masked_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum over the last axis of the values strictly above ``mean - 2 * std`` (``torch.std``, unbiased).

    One value gives a NaN std and an exactly constant row a zero std; both keep nothing and sum to 0.
    """
    mean = x.mean(dim=-1, keepdim=True)
    # torch.std of one value is NaN (and warns); a NaN threshold keeps nothing, as upstream
    std = x.std(dim=-1, keepdim=True) if x.shape[-1] > 1 else torch.full_like(mean, float("nan"))
    keep = x > mean - 2 * std
    return torch.where(keep, x, torch.zeros_like(x)).sum(dim=-1)


def per_doc_scores(
    per_token: ArrayLike, null_per_token: ArrayLike, doc_spans_inclusive: Sequence[Sequence[int]]
) -> list[torch.Tensor]:
    """Per document, the (L, H) calibrated and outlier-masked score sums (detection scores).

    ``doc_spans_inclusive`` are inclusive token spans ``[start, end]``; positions past the calibrated length
    are cut as upstream's slicing does.
    """
    cal = calibrate(per_token, null_per_token)
    return [outlier_masked_sum(cal[:, :, int(s) : int(e) + 1]) for s, e in doc_spans_inclusive]


def parse_head_set(head_set: str) -> list[tuple[int, int]]:
    """Parse upstream's ``"l-h,l-h"`` head list (zero-based) into ``[(layer, head), ...]``."""
    heads = []
    for item in head_set.split(","):
        parts = item.strip().split("-")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"bad head id {item!r} in head set {head_set!r}; expected 'layer-head'")
        heads.append((int(parts[0]), int(parts[1])))
    return heads


def _sum_heads(t: torch.Tensor, heads: list[tuple[int, int]] | None) -> torch.Tensor:
    if heads is None:
        return t.sum(dim=(0, 1))
    layers = torch.tensor([h[0] for h in heads])
    idx = torch.tensor([h[1] for h in heads])
    return t[layers, idx].sum(dim=0)


def score_docs(
    per_token: ArrayLike,
    null_per_token: ArrayLike,
    doc_spans_inclusive: Sequence[Sequence[int]],
    head_set: str | Sequence[tuple[int, int]] | None = None,
) -> list[float]:
    """Retrieval doc scores: sum per-token scores over the heads (all, or ``head_set``) first, then calibrate
    and apply the outlier mask once per document."""
    pts, null = _tensor(per_token, "per_token"), _tensor(null_per_token, "null_per_token")
    heads = parse_head_set(head_set) if isinstance(head_set, str) else (list(head_set) if head_set else None)
    summed_pts, summed_null = _sum_heads(pts, heads), _sum_heads(null, heads)
    n = min(summed_pts.shape[-1], summed_null.shape[-1])
    cal = summed_pts[:n] - summed_null[:n]
    return [float(outlier_masked_sum(cal[int(s) : int(e) + 1])) for s, e in doc_spans_inclusive]
