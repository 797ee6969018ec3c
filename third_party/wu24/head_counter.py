"""Wu et al. (2024) head-score aggregation over samples.

Port of ``retrieval_head_accumulate`` and the final ranking of Retrieval_Head
``retrieval_head_detection.py`` (golden README section 7, item 5): a sample's scores count only when its
answer passed the gate, and then *every* head's score (zeros included) is recorded; the head score is the
mean over the successful samples.
"""

from __future__ import annotations

import numpy as np


def head_id(layer: int, head: int) -> str:
    """Head id ``"layer-head"`` (zero-based)."""
    return f"{layer}-{head}"


class HeadCounter:
    """Collects per-head retrieval scores of the samples whose gate passed."""

    def __init__(self) -> None:
        self.counter: dict[str, list[float]] = {}
        self.n_success = 0
        self.n_failed = 0

    def accumulate(self, scores: np.ndarray, passed: bool) -> bool:
        """Record the (L, H) ``scores`` of one sample if ``passed``; return ``passed``."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 2:
            raise ValueError(f"scores must be (layers, heads), got shape {scores.shape}")
        if not passed:
            self.n_failed += 1
            return False
        self.n_success += 1
        for layer in range(scores.shape[0]):
            for head in range(scores.shape[1]):
                self.counter.setdefault(head_id(layer, head), []).append(float(scores[layer, head]))
        return True

    def mean_scores(self) -> dict[str, float]:
        """Head id -> mean score over successful samples (``np.mean``, as upstream); empty if none passed."""
        return {hid: float(np.mean(values)) for hid, values in self.counter.items()}

    def ranking(self) -> list[tuple[str, float]]:
        """Heads by mean score, best first; a stable sort, so ties keep layer-major order."""
        return sorted(self.mean_scores().items(), key=lambda item: item[1], reverse=True)

    def mean_array(self, n_layers: int, n_heads: int, fill_value: float = 0.0) -> np.ndarray:
        """Mean scores as an (L, H) array; heads never recorded (no sample passed) get ``fill_value``."""
        means = self.mean_scores()
        out = np.full((n_layers, n_heads), fill_value, dtype=np.float64)
        for layer in range(n_layers):
            for head in range(n_heads):
                hid = head_id(layer, head)
                if hid in means:
                    out[layer, head] = means[hid]
        return out
