"""QRHead head scores (QRScore) and the per-head evaluation.

Ports of ``score_heads`` and ``lme_eval`` (QRHead ``exp_scripts/detection/detect_qrhead_lme.py``), as
PROVENANCE.md lists: QRScore(head) = mean over instances of the sum of
that head's per-doc scores over the instance's gold docs (0 for an instance without gold docs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch


def lme_eval(
    doc_scores_by_instance: Mapping[str, Mapping[str, float]], gt_docs_by_instance: Mapping[str, Sequence[str]]
) -> float:
    """One head's score: mean over instances of the summed scores of its gold docs (``np.sum``/``np.mean``)."""
    per_instance = []
    for instance, gt_docs in gt_docs_by_instance.items():
        scores = doc_scores_by_instance[instance]
        per_instance.append(np.sum([scores[doc] for doc in gt_docs]))
    return float(np.mean(per_instance))


def _as_float64(x: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x).astype(np.float64)  # float32 -> float64 is exact, like upstream's .item()


def qr_scores(
    per_doc_scores_by_instance: Mapping[str, Mapping[str, torch.Tensor | np.ndarray]],
    gt_docs_by_instance: Mapping[str, Sequence[str]],
) -> np.ndarray:
    """QRScore of every head as an (L, H) float64 array (instances in ``gt_docs_by_instance`` order).

    Sums and means run along a contiguous last axis, i.e. through the same numpy reductions as upstream's
    ``np.sum`` / ``np.mean`` of per-head Python lists, so the values agree bit for bit.
    """
    if not gt_docs_by_instance:
        raise ValueError("no instances to score")
    shapes = {_as_float64(t).shape for docs in per_doc_scores_by_instance.values() for t in docs.values()}
    if len(shapes) != 1:
        raise ValueError(f"per-doc score tensors must share one (layers, heads) shape, got {sorted(shapes)}")
    shape = shapes.pop()
    per_instance = []
    for instance, gt_docs in gt_docs_by_instance.items():
        if instance not in per_doc_scores_by_instance:
            raise KeyError(f"instance {instance!r} has gold docs but no per-doc scores")
        docs = per_doc_scores_by_instance[instance]
        gold = []
        for doc in gt_docs:
            if doc not in docs:
                raise KeyError(f"gold doc {doc!r} of instance {instance!r} has no score; docs: {sorted(docs)}")
            gold.append(_as_float64(docs[doc]))
        # (L, H, n_gold) contiguous -> np.sum along the last axis; np.sum([]) == 0.0
        stacked = np.stack(gold, axis=-1) if gold else np.zeros((*shape, 0))
        per_instance.append(np.sum(stacked, axis=-1))
    return np.mean(np.stack(per_instance, axis=-1), axis=-1)


def score_heads(
    per_doc_scores_by_instance: Mapping[str, Mapping[str, torch.Tensor | np.ndarray]],
    gt_docs_by_instance: Mapping[str, Sequence[str]],
) -> list[tuple[str, float]]:
    """Ranking ``[(head_id, QRScore), ...]`` of all heads, best first (stable: ties stay layer-major)."""
    scores = qr_scores(per_doc_scores_by_instance, gt_docs_by_instance)
    heads = [(f"{layer}-{head}", float(scores[layer, head])) for layer in range(scores.shape[0])
             for head in range(scores.shape[1])]
    return sorted(heads, key=lambda item: item[1], reverse=True)
