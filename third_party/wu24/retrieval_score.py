"""Wu et al. (2024) retrieval score: per decode step, credit the heads whose top-1 key copies the token.

Port of ``retrieval_calculate`` (Retrieval_Head ``retrieval_head_detection.py``), see
PROVENANCE.md for the upstream rule it mirrors. Pure array code: the top-1 key index of each head comes
from the attention probe (the row of the query that *produced* the generated token).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Credit = Literal["upstream", "in_span"]
CREDIT_MODES: tuple[str, ...] = ("upstream", "in_span")


def _as_spans(spans: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Validate and normalise half-open ``[start, end)`` spans; a bare ``(s, e)`` pair is accepted too."""
    if len(spans) == 2 and all(isinstance(x, (int, np.integer)) for x in spans):
        spans = [spans]  # type: ignore[list-item]
    out: list[tuple[int, int]] = []
    for k, span in enumerate(spans):
        if len(span) != 2:
            raise ValueError(f"span {k} must be a (start, end) pair, got {span!r}")
        out.append((int(span[0]), int(span[1])))
    return out


def retrieval_step(
    scores: np.ndarray,
    top1_idx: np.ndarray,
    generated_id: int,
    prompt_ids: Sequence[int],
    spans: Sequence[Sequence[int]],
    credit: Credit = "upstream",
    tokens: list[list[str]] | None = None,
    step_token: str | None = None,
) -> np.ndarray:
    """Add one decode step's credit to ``scores`` (L, H) float64 in place; return the (L, H) hit mask.

    A head whose top-1 key index ``i`` lies in an evidence span ``[s, e)`` gains ``1 / (e - s)`` when
    ``prompt_ids[i] == generated_id`` (``credit="upstream"``, Wu24) or unconditionally (``credit="in_span"``,
    a looser variant). With several spans a head is credited at most once per step, by the first span that
    contains ``i``. Indices ``>= len(prompt_ids)`` (generated positions) never score; ``(-1, -1)`` (needle
    not found) never contains anything. When ``tokens`` (L x H lists of str) is given, ``step_token`` is
    appended to the string of every credited head, as upstream keeps it next to the score.
    """
    if credit not in CREDIT_MODES:
        raise ValueError(f"credit must be one of {CREDIT_MODES}, got {credit!r}")
    top1 = np.asarray(top1_idx)
    if top1.shape != scores.shape:
        raise ValueError(f"top1_idx shape {top1.shape} != scores shape {scores.shape}")
    prompt = np.asarray(prompt_ids, dtype=np.int64).reshape(-1)
    n_prompt = prompt.shape[0]
    in_prompt = (top1 >= 0) & (top1 < n_prompt)
    if credit == "upstream":
        safe = np.where(in_prompt, top1, 0)
        copies = in_prompt & (prompt[safe] == int(generated_id)) if n_prompt else np.zeros_like(in_prompt)
    else:
        copies = in_prompt
    done = np.zeros(scores.shape, dtype=bool)
    for start, end in _as_spans(spans):
        hit = ~done & copies & (top1 >= start) & (top1 < end)
        if hit.any():
            scores[hit] += 1.0 / (end - start)
            done |= hit
    if tokens is not None and done.any():
        if step_token is None:
            raise ValueError("step_token is required when tokens are kept")
        for layer, head in zip(*np.nonzero(done), strict=True):
            tokens[layer][head] += step_token
    return done


def retrieval_scores_from_top1(
    top1: np.ndarray,
    generated_ids: Sequence[int],
    prompt_ids: Sequence[int],
    spans: Sequence[Sequence[int]],
    credit: Credit = "upstream",
) -> np.ndarray:
    """Retrieval score (L, H) float64 of one sample from its per-step top-1 indices ``top1`` (S, L, H).

    Step ``t``'s top-1 indices come from the query that produced ``generated_ids[t]``. Credits are added
    step by step in float64, in the same order as upstream's Python float sums.
    """
    top1 = np.asarray(top1)
    if top1.ndim != 3 or top1.shape[0] != len(generated_ids):
        raise ValueError(f"top1 must be (steps, layers, heads) with steps == {len(generated_ids)}, got {top1.shape}")
    scores = np.zeros(top1.shape[1:], dtype=np.float64)
    for step, gen_id in enumerate(generated_ids):
        retrieval_step(scores, top1[step], int(gen_id), prompt_ids, spans, credit=credit)
    return scores


def retrieval_tokens_from_top1(
    top1: np.ndarray,
    generated_ids: Sequence[int],
    step_tokens: Sequence[str],
    prompt_ids: Sequence[int],
    spans: Sequence[Sequence[int]],
    credit: Credit = "upstream",
) -> list[list[str]]:
    """Upstream's per-head concatenation of the token strings that earned credit (L x H strings)."""
    top1 = np.asarray(top1)
    if len(step_tokens) != len(generated_ids):
        raise ValueError(f"{len(step_tokens)} step tokens for {len(generated_ids)} generated ids")
    scores = np.zeros(top1.shape[1:], dtype=np.float64)
    tokens = [["" for _ in range(top1.shape[2])] for _ in range(top1.shape[1])]
    for step, gen_id in enumerate(generated_ids):
        retrieval_step(scores, top1[step], int(gen_id), prompt_ids, spans, credit, tokens, step_tokens[step])
    return tokens
