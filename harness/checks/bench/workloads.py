"""What the bench times of the study's own code, and the plain baselines it compares that with.

Detection is :func:`harness.methods.shared_pass.detect_filing` itself; ablation is
:func:`harness.pipeline.conditions.ablate_question` over one prefix prefill per filing, as the study runs
it. The baselines issue the same forward calls through the engine's public helpers
(:func:`harness.engine.decoding.prefill` / :func:`~harness.engine.decoding.forward`) with no probe
requests. :func:`forward_breakdown` times single forward calls plain and with the probe requests
detection makes on them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from adapters.prompts import FilingPrompts
from harness.checks.bench.timing import sync
from harness.engine import decoding, probe
from harness.engine.kvcache import crop_to
from harness.heads import all_head_ids
from harness.methods.base import DetectionSettings, QuestionScores
from harness.methods.registry import METHOD_NAMES
from harness.methods.shared_pass import detect_filing
from harness.pipeline import conditions as abl


@torch.no_grad()
def detection_path(model, fp: FilingPrompts, max_new_tokens: int) -> dict[str, QuestionScores]:
    """Ours: ``detect_filing`` itself with all three methods' probes; no tokenizer, so no early stop."""
    settings = DetectionSettings(max_new_tokens=max_new_tokens)
    return detect_filing(model, None, fp, settings)


@torch.no_grad()
def plain_pass(model, fp: FilingPrompts, max_new_tokens: int) -> None:
    """The same forward calls as ``detection_path`` with no probe requests: prefix prefill; per question the
    question suffix, ``max_new_tokens - 1`` greedy decode steps and the null-query suffix."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        tok = int(torch.argmax(decoding.forward(model, qp.ids[p:], cache)))
        for _ in range(max_new_tokens - 1):
            tok = int(torch.argmax(decoding.forward(model, [tok], cache)))
        crop_to(cache, p)
        decoding.forward(model, qp.null_ids[p:], cache)
        crop_to(cache, p)


@torch.no_grad()
def plain_prefill(model, fp: FilingPrompts) -> None:
    """A plain prefill of the prompt tokens only: the prefix once, then each question suffix (no decoding)."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        decoding.forward(model, qp.ids[p:], cache)
        crop_to(cache, p)


@torch.no_grad()
def ablation_batched(model, fp: FilingPrompts, conds: Sequence[abl.Condition], n_layers: int, n_heads: int,
                     mode: str, max_new_tokens: int, condition_batch: int) -> dict[str, dict]:
    """Ours, as the study's ablation step runs it: one prefix prefill per filing, then ``ablate_question`` per
    question (scope ``decode``; no tokenizer, so no early stop). Returns generated ids by question and head set."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    settings = abl.AblationSettings(mode, "decode", max_new_tokens, condition_batch)
    stop = decoding.StopRule.for_tokenizer(None)
    return {q: abl.ablate_question(model, cache, p, qp.ids, conds, settings, stop) for q, qp in fp.prompts.items()}


@torch.no_grad()
def forward_breakdown(model, fp: FilingPrompts, device: str, reps: int) -> dict[str, Any]:
    """Mean wall time of single forward calls, plain vs with the probe requests detection makes on them (first
    question): a decode step (one token after the full prompt; Top1 of the last row) and the question suffix
    (RegionSums + Top1 of the last row, RowSum of the question rows). Two untimed calls first; the cache is
    cropped back after each call. The requests mirror :func:`harness.methods.shared_pass.detect_question`'s."""
    qp = next(iter(fp.prompts.values()))
    p, n = len(fp.prefix_ids), len(qp.ids)
    regions = [qp.context_span] + list(qp.evidence_spans)

    def mean_ms(ids: Sequence[int], keep: int, make_ctx: Callable[[], Any]) -> float:
        for i in range(reps + 2):
            if i == 2:
                sync(device)
                t0 = time.perf_counter()
            with make_ctx():
                decoding.forward(model, ids, cache)
            crop_to(cache, keep)
        sync(device)
        return 1000 * (time.perf_counter() - t0) / reps

    @contextlib.contextmanager
    def suffix_probes():
        with probe.probing([n - 1], [probe.RegionSums(regions), probe.Top1()]), \
                probe.probing(range(qp.query_start, n), [probe.RowSum(qp.context_span[1])]):
            yield

    cache = decoding.prefill(model, qp.ids)
    tok = [int(qp.ids[-1])]
    dec_plain = mean_ms(tok, n, contextlib.nullcontext)
    dec_probe = mean_ms(tok, n, lambda: probe.probing("last", [probe.Top1()]))
    crop_to(cache, p)
    suf_plain = mean_ms(qp.ids[p:], p, contextlib.nullcontext)
    suf_probe = mean_ms(qp.ids[p:], p, suffix_probes)
    return {"reps": reps, "unit": "ms per forward call (mean)",
            "decode_step": {"plain_ms": dec_plain, "probed_ms": dec_probe, "ratio": dec_probe / dec_plain},
            "question_suffix": {"tokens": n - p, "plain_ms": suf_plain, "probed_ms": suf_probe,
                                "ratio": suf_probe / suf_plain}}


def timing_conditions(n_layers: int, n_heads: int, k_grid: Sequence[int], n_seeds: int,
                      exclude_top_n: int) -> list[abl.Condition]:
    """The study's ablation conditions (:func:`harness.pipeline.conditions.build_conditions`) for every
    method, over fixed random head rankings: what is decoded does not depend on which heads rank first."""
    all_heads = all_head_ids(n_layers, n_heads)
    top = {m: [all_heads[i] for i in np.random.default_rng(100 + j).permutation(len(all_heads))]
           for j, m in enumerate(METHOD_NAMES)}
    return abl.build_conditions(top, all_heads, k_grid, list(range(n_seeds)), exclude_top_n)
