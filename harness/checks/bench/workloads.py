"""What the bench times of the study's own code, and the plain baselines it compares that with.

Detection is :func:`harness.methods.shared_pass.detect_filing` itself (a filing group's questions decoded as one
batch); ablation is :func:`harness.pipeline.conditions.ablate_group` per filing, as the study runs it. The plain
baseline makes the same batched calls with no probe request (:func:`harness.methods.batched_pass.decode_groups`
with ``probes=False``); the prefill baseline feeds the prompt tokens only. :func:`decode_step_ms` times the
engine's decode step (graph-captured on CUDA) plain, probed (a top-1 row per step) and masked, per batch size.
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
from harness.methods.batched_pass import decode_groups
from harness.methods.registry import METHOD_NAMES
from harness.methods.shared_pass import detect_filing
from harness.pipeline import conditions as abl


@torch.no_grad()
def detection_path(model, fp: FilingPrompts, max_new_tokens: int) -> dict[str, QuestionScores]:
    """Ours: ``detect_filing`` itself with every method's probes; no tokenizer, so no early stop."""
    settings = DetectionSettings(max_new_tokens=max_new_tokens)
    return detect_filing(model, None, fp, settings)


class NeverStop:
    """A stop rule that never stops (random weights: every row decodes the full budget)."""

    def done(self, ids: Sequence[int]) -> bool:
        return False


@torch.no_grad()
def plain_pass(model, fp: FilingPrompts, max_new_tokens: int) -> None:
    """The same calls as ``detection_path`` with no probe requests: prefix prefill, one prompt call for every
    question and the null query, ``max_new_tokens - 1`` batched decode steps."""
    decode_groups(model, [fp], max_new_tokens, NeverStop(), probes=False)


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
    """Ours, as the study's ablation step runs it: ``ablate_group`` on the filing (one prefix prefill, scope
    ``decode``, no tokenizer so no early stop). Returns generated ids by question and head set."""
    settings = abl.AblationSettings(mode, "decode", max_new_tokens, condition_batch)
    return abl.ablate_group(model, fp, {q: conds for q in fp.prompts}, settings, NeverStop())


@torch.no_grad()
def decode_step_ms(model, fp: FilingPrompts, batch: int, kind: str, steps: int = 16, reps: int = 3) -> float:
    """Mean ms of one engine decode step over the filing's prefix at ``batch`` rows: ``plain`` (no probe, no
    mask), ``probed`` (``batch`` prompts, a top-1 row per step, as detection) or ``masked`` (one prompt,
    ``batch`` head sets, uniform masks, as ablation). Stop checks run as in the study (no early stop)."""
    from harness.engine import batched_decode as bd

    p = len(fp.prefix_ids)
    q, r = (batch, 1) if kind == "probed" else (1, batch)
    shape = bd.batch_shape(model, p, 1, q, r, steps, bd.shape_buckets(model.device))
    opts = bd.StepOptions(mask_mode="uniform" if kind == "masked" else None, top1=kind == "probed")
    ws = bd.workspace(model, shape, opts)
    ws.rows.load_prefix(bd.prefix_layers(decoding.prefill(model, fp.prefix_ids)), p)
    ws.rows.set_segment_lengths([0] * q)
    if kind == "masked":
        n_layers, n_heads = shape.n_layers, shape.n_heads
        sets = [[all_head_ids(n_layers, n_heads)[(7 * i + j) % (n_layers * n_heads)] for j in range(i % 50)]
                for i in range(shape.rows)]
        ws.rows.set_head_mask(probe.HeadMask.from_heads(sets, n_layers, n_heads).mask, "uniform")
    ws.ids[:, 0] = int(fp.prefix_ids[-1])
    rows = list(range(shape.rows))  # every row runs (on the CPU only running rows are computed)
    ws.decode(steps, NeverStop(), rows, first_col=1)  # warm-up (and capture)
    device = str(model.device)
    sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        ws.decode(steps, NeverStop(), rows, first_col=1)
    sync(device)
    return 1000 * (time.perf_counter() - t0) / (reps * steps)


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
