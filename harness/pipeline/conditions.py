"""Ablation conditions and their decoding: answers with the top-k heads (or k random non-top heads) masked.

Per filing group (the questions that share one context window, :func:`ablate_group`): the context prefix is
prefilled once and loaded into the decode workspace's static prefix buffers; with scope ``decode`` (Wu24) each
question's suffix minus its last token is fed once, unmasked, shared by that question's rows, and every
condition (question x method x k x top/random seed) is then a row of one batch over the prefix (chunked to
``condition_batch`` rows, :func:`harness.engine.batched_decode.decode_prompt_sets`), the masks applying from
the step that feeds the last prompt token. With scope ``all`` nothing can be shared: each chunk feeds the whole
prompt, masked, from an empty cache. Identical head sets (e.g. every k = 0 baseline) are decoded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache

from harness.engine.batched_decode import decode_prompt_sets
from harness.engine.decoding import StopRule, decode_batch, forward, prefill
from harness.engine.kvcache import crop_to
from harness.heads import sort_heads


@dataclass(frozen=True)
class Condition:
    """One ablation condition: the heads masked for a (method, k, top/random, seed)."""

    method: str
    k: int
    kind: str  # "top" or "random"
    seed: int | None
    heads: tuple[str, ...]

    @property
    def label(self) -> str:
        """Readable condition id, e.g. ``qrhead/top/k=10`` or ``wu24/random-s3/k=20``."""
        kind = self.kind if self.seed is None else f"{self.kind}-s{self.seed}"
        return f"{self.method}/{kind}/k={self.k}"


def random_heads(pool: Sequence[str], k: int, seed: int) -> tuple[str, ...]:
    """k heads drawn uniformly from ``pool`` (sorted first) with ``seed``; nested in k for a fixed seed."""
    ordered = sort_heads(pool)
    if k > len(ordered):
        raise ValueError(f"cannot draw {k} random heads from a pool of {len(ordered)}")
    perm = np.random.default_rng(seed).permutation(len(ordered))
    return tuple(ordered[i] for i in perm[:k])


def build_conditions(
    top_heads: dict[str, list[str]], all_heads: Sequence[str], k_grid: Sequence[int], seeds: Sequence[int],
    exclude_top_n: int,
) -> list[Condition]:
    """Conditions for every method: top-k and random-k (from heads outside the method's top ``exclude_top_n``)."""
    conds: list[Condition] = []
    for method, ranked in top_heads.items():
        if max(k_grid) > len(ranked):
            raise ValueError(f"{method}: k grid reaches {max(k_grid)} but only {len(ranked)} top heads exist")
        excluded = set(ranked[:exclude_top_n])
        pool = [h for h in all_heads if h not in excluded]
        for k in k_grid:
            conds.append(Condition(method, k, "top", None, tuple(ranked[:k])))
            if k == 0:
                continue
            for s in seeds:
                conds.append(Condition(method, k, "random", s, random_heads(pool, k, s)))
    return conds


def distinct_head_sets(conditions: Sequence[Condition]) -> list[tuple[str, ...]]:
    """The distinct head sets of ``conditions`` (each in layer-major order), first seen first: what is decoded."""
    unique: list[tuple[str, ...]] = []
    for c in conditions:
        key = tuple(sort_heads(c.heads))
        if key not in unique:
            unique.append(key)
    return unique


@dataclass(frozen=True)
class AblationSettings:
    """How the conditions of one prompt are decoded (all part of the ablation unit's key)."""

    mask_mode: str = "uniform"  # or "zero"
    mask_scope: str = "decode"  # or "all": the prompt is masked too
    max_new_tokens: int = 16
    condition_batch: int = 32  # rows decoded per batch


@torch.no_grad()
def ablate_question(
    model, cache: DynamicCache, prefix_len: int, ids: Sequence[int], conditions: Sequence[Condition],
    settings: AblationSettings, stop: StopRule,
) -> dict[tuple[str, ...], list[int]]:
    """Generated ids for each distinct head set of ``conditions`` on one prompt (cache holds the prefix)."""
    unique = distinct_head_sets(conditions)
    results: dict[tuple[str, ...], list[int]] = {}
    suffix = list(ids[prefix_len:])
    cache_for_rows = cache
    if settings.mask_scope == "decode":
        if len(suffix) > 1:
            forward(model, suffix[:-1], cache)
        first = suffix[-1:]
    elif settings.mask_scope == "all":
        first = list(ids)
        cache_for_rows = DynamicCache()
    else:
        raise ValueError(f"mask scope must be 'decode' or 'all', got {settings.mask_scope!r}")
    batch = settings.condition_batch
    for i in range(0, len(unique), batch):
        chunk = unique[i : i + batch]
        gens = decode_batch(model, cache_for_rows, first, chunk, settings.mask_mode, settings.max_new_tokens, stop)
        results.update(zip(chunk, gens, strict=False))
    crop_to(cache, prefix_len)
    return results


@torch.no_grad()
def ablate_group(model, fp, conditions: dict[str, Sequence[Condition]], settings: AblationSettings,
                 stop: StopRule) -> dict[str, dict[tuple[str, ...], list[int]]]:
    """Generated ids for each distinct head set of each question of one filing group (``fp``: FilingPrompts).

    One prefill of the group's prefix; with scope ``decode`` the questions' suffixes and head sets are decoded
    together, at most ``condition_batch`` rows per batch (engine.batched_decode); scope ``all``: per question.
    """
    cache = prefill(model, fp.prefix_ids)
    p, qs = len(fp.prefix_ids), [q for q in fp.prompts if q in conditions]
    if settings.mask_scope != "decode":
        return {q: ablate_question(model, cache, p, fp.prompts[q].ids, conditions[q], settings, stop) for q in qs}
    unique = [distinct_head_sets(conditions[q]) for q in qs]
    gens = decode_prompt_sets(model, cache, p, [fp.prompts[q].ids[p:] for q in qs], unique, settings.mask_mode,
                              settings.max_new_tokens, stop, settings.condition_batch)
    return {q: dict(zip(sets, g, strict=True)) for q, sets, g in zip(qs, unique, gens, strict=True)}
