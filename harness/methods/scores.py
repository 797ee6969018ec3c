"""Head scores of a method: the mean over samples, the ranking, the per-head mapping of a unit file.

A ranking never breaks ties by position alone: heads are ordered by the primary score, heads tied on it by
the method's secondary key (its ``tie_break`` in :mod:`harness.methods.registry`, e.g. Wu24's top-1
attention mass on the evidence), and only heads tied on both keys by layer-major order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.heads import head_id


def aggregate(per_sample: dict[str, np.ndarray]) -> np.ndarray:
    """Head score = mean over the samples that count (float64)."""
    return np.mean(np.stack(list(per_sample.values())), axis=0)


def rank_heads(scores: np.ndarray, top_n: int, secondary: np.ndarray | None = None) -> list[str]:
    """The ``top_n`` head ids by descending score, ties broken by descending ``secondary`` (same shape),
    then by layer-major order."""
    flat = np.asarray(scores, dtype=np.float64).reshape(-1)
    second = np.zeros_like(flat) if secondary is None else np.asarray(secondary, dtype=np.float64).reshape(-1)
    if second.shape != flat.shape:
        raise ValueError(f"secondary key shape {np.shape(secondary)} != scores shape {np.shape(scores)}")
    position = np.arange(flat.size)
    order = np.lexsort((position, -second, -flat))  # the last key sorts first
    n_heads = scores.shape[1]
    return [head_id(int(i) // n_heads, int(i) % n_heads) for i in order[:top_n]]


def scores_dict(scores: np.ndarray) -> dict[str, float]:
    """(L, H) array -> {"l-h": score} for every head."""
    return {head_id(l_, h): float(scores[l_, h]) for l_ in range(scores.shape[0]) for h in range(scores.shape[1])}


def ranking_extra(scores: np.ndarray, secondary: np.ndarray, top: list[str], key: str,
                  n_samples: int) -> dict[str, Any]:
    """What a detection file records of its ranking: the tie-break key (in words, its per-head values and
    how many samples it rests on) and how many of the top heads have a positive primary score."""
    values = scores_dict(scores)
    return {"n_top_positive": sum(1 for h in top if values[h] > 0),
            "tie_break": {"key": key, "n_samples": int(n_samples), "scores": scores_dict(secondary)}}
