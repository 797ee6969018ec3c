"""Head scores of a method: the mean over samples, the ranking, the per-head mapping of a unit file."""

from __future__ import annotations

import numpy as np

from harness.heads import head_id


def aggregate(per_sample: dict[str, np.ndarray]) -> np.ndarray:
    """Head score = mean over the samples that count (float64)."""
    return np.mean(np.stack(list(per_sample.values())), axis=0)


def rank_heads(scores: np.ndarray, top_n: int) -> list[str]:
    """Head ids by descending score (stable: ties stay in layer-major order)."""
    flat = scores.reshape(-1)
    order = np.argsort(-flat, kind="stable")
    n_heads = scores.shape[1]
    return [head_id(int(i) // n_heads, int(i) % n_heads) for i in order[:top_n]]


def scores_dict(scores: np.ndarray) -> dict[str, float]:
    """(L, H) array -> {"l-h": score} for every head."""
    return {head_id(l_, h): float(scores[l_, h]) for l_ in range(scores.shape[0]) for h in range(scores.shape[1])}
